// `esxcli storage filesystem list` as real hosts printed it (parsers/fixtures/corpus, sources in its SOURCES.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { isDatastore, parseFilesystemList } from "./parse-filesystem-list.js";

// [volume name, type, size, free] of every row, and the names of the datastores among them.
const corpus: [file: string, rows: [string, string, number, number][], datastores: string[]][] = [
  [
    "filesystem-list-6.5-verbatim.txt",
    [
      ["datastore1", "VMFS-5", 890131972096, 156750577664],
      ["", "vfat", 4293591040, 4257939456],
      ["", "vfat", 261853184, 91848704],
      ["", "vfat", 261853184, 91987968],
      ["", "vfat", 299712512, 88342528],
    ],
    ["datastore1"],
  ],
  [
    // Its header lost three blanks before `Mounted` on the way to the page: the labels no longer sit over
    // their dash runs, but they are the same labels in the same order.
    "filesystem-list-6.x-header-drift-verbatim.txt",
    [
      ["datastore1", "VMFS-5", 576599359488, 145677615104],
      ["", "vfat", 4293591040, 4251451392],
      ["", "vfat", 261853184, 97193984],
      ["", "vfat", 261853184, 261844992],
      ["", "vfat", 299712512, 99147776],
    ],
    ["datastore1"],
  ],
  [
    "filesystem-list-6.7u3-verbatim.txt",
    [
      ["datastore1", "VMFS-6", 77846282240, 76336332800],
      ["suse-ssd", "VMFS-6", 127775277056, 126264279040],
      ["", "vfat", 261853184, 106246144],
      ["", "vfat", 299712512, 117448704],
      ["", "vfat", 4293591040, 4288217088],
      ["", "vfat", 261853184, 261849088],
    ],
    ["datastore1", "suse-ssd"],
  ],
  [
    // A VMFS-6 volume with no name beside OSDATA and the boot banks (a 7.0/8.0 layout).
    "filesystem-list-8.0-unnamed-vmfs-verbatim.txt",
    [
      ["", "VMFS-6", 150055419904, 54943285248],
      ["OSDATA-66aa25b4-80eeca2a-d6dd-1e00f7000340", "VMFSOS", 8321499136, 5360320512],
      ["BOOTBANK1", "vfat", 1073577984, 805076992],
      ["BOOTBANK2", "vfat", 1073577984, 1073545216],
    ],
    [""],
  ],
];

for (const [file, rows, datastores] of corpus) {
  test(`filesystem list corpus: ${file}`, () => {
    const volumes = parseFilesystemList(fixtureText(`corpus/${file}`));
    assert.deepEqual(
      volumes.map((v) => [v.volumeName, v.type, v.sizeBytes, v.freeBytes]),
      rows,
    );
    for (const v of volumes) {
      assert.equal(v.mountPoint, `/vmfs/volumes/${v.uuid}`);
      assert.equal(v.mounted, true);
    }
    assert.deepEqual(volumes.filter(isDatastore).map((v) => v.volumeName), datastores);
  });
}

test("filesystem list corpus: a header naming other columns is still refused, quoted", () => {
  const text = fixtureText("corpus/filesystem-list-6.5-verbatim.txt").replace("Volume Name", "Volume Size");
  assert.throws(() => parseFilesystemList(text), /unexpected header "Mount Point {4}/u);
});
