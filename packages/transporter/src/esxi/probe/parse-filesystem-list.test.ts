// Golden tests from esxi-facts 1.11 [verbatim] `esxcli storage filesystem list` samples (6.7 and 8.0.2).
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { HostOutputError } from "../parsers/host-output-error.js";
import { isDatastore, parseFilesystemList } from "./parse-filesystem-list.js";

const ESXI_6_7 = `Mount Point                                        Volume Name  UUID                                 Mounted  Type            Size          Free
-------------------------------------------------  -----------  -----------------------------------  -------  ------  ------------  ------------
/vmfs/volumes/611624d3-0014912e-65a2-525400f29a2a  datastore1   611624d3-0014912e-65a2-525400f29a2a     true  VMFS-6   77846282240   76336332800
/vmfs/volumes/61162d2b-5f009ee4-baf7-525400f29a2a  suse-ssd     61162d2b-5f009ee4-baf7-525400f29a2a     true  VMFS-6  127775277056  126264279040
/vmfs/volumes/59c94171-6bfc5643-4f06-be7836afec3a               59c94171-6bfc5643-4f06-be7836afec3a     true  vfat       261853184     106246144
/vmfs/volumes/611624cd-6458f9a6-e893-525400f29a2a               611624cd-6458f9a6-e893-525400f29a2a     true  vfat       299712512     117448704
/vmfs/volumes/611624d4-365d7e53-f419-525400f29a2a               611624d4-365d7e53-f419-525400f29a2a     true  vfat      4293591040    4288217088
`;

// The 8.0.2 sample without its elided middle rows.
const ESXI_8_0_2 = `Mount Point                                        Volume Name                                 UUID                                 Mounted  Type             Size           Free
-------------------------------------------------  ------------------------------------------  -----------------------------------  -------  ------  -------------  -------------
/vmfs/volumes/600d9cc6-915fbb51-f64b-d8d385d87c24  DS132_DS01_SATA_1TB                         600d9cc6-915fbb51-f64b-d8d385d87c24     true  VMFS-6   999922073600   591568830464
/vmfs/volumes/6a11caec-c7e247f8-6325-40a8f055c48c  DS132_DS04_SATA_2TB                         6a11caec-c7e247f8-6325-40a8f055c48c     true  VMFS-6  2000112582656  1224298463232
/vmfs/volumes/6a91690d-eac44959-2d46-001b21e7d76e  OSDATA-6a91690d-eac44959-2d46-001b21e7d76e  6a91690d-eac44959-2d46-001b21e7d76e     true  VMFSOS   128580583424   124127281152
/vmfs/volumes/b67455de-254faef7-f8ae-2f039b5dad25  BOOTBANK1                                   b67455de-254faef7-f8ae-2f039b5dad25     true  vfat       4293591040     3996778496
/vmfs/volumes/5996ff6e-3045ec7e-7497-c870866b06ae  BOOTBANK2                                   5996ff6e-3045ec7e-7497-c870866b06ae     true  vfat       4293591040     4293525504
`;

test("ESXi 6.7: every row, unnamed system volumes included; the datastores are the VMFS ones", () => {
  const rows = parseFilesystemList(ESXI_6_7);
  assert.equal(rows.length, 5);
  assert.deepEqual(rows[0], {
    mountPoint: "/vmfs/volumes/611624d3-0014912e-65a2-525400f29a2a",
    volumeName: "datastore1",
    uuid: "611624d3-0014912e-65a2-525400f29a2a",
    mounted: true,
    type: "VMFS-6",
    sizeBytes: 77846282240,
    freeBytes: 76336332800,
  });
  assert.equal(rows[2]?.volumeName, "");
  assert.equal(rows[4]?.freeBytes, 4288217088);
  assert.deepEqual(rows.filter(isDatastore).map((r) => [r.volumeName, r.freeBytes]), [
    ["datastore1", 76336332800],
    ["suse-ssd", 126264279040],
  ]);
});

test("ESXi 8.0.2: named system volumes (OSDATA is VMFSOS) are not datastores", () => {
  const rows = parseFilesystemList(ESXI_8_0_2);
  assert.deepEqual(rows.map((r) => r.type), ["VMFS-6", "VMFS-6", "VMFSOS", "vfat", "vfat"]);
  assert.deepEqual(rows.filter(isDatastore).map((r) => [r.volumeName, r.sizeBytes, r.freeBytes]), [
    ["DS132_DS01_SATA_1TB", 999922073600, 591568830464],
    ["DS132_DS04_SATA_2TB", 2000112582656, 1224298463232],
  ]);
});

test("volume names with spaces and non-ASCII, NFS, unmounted volumes", () => {
  const spaces = `Mount Point         Volume Name     UUID  Mounted  Type        Size       Free
------------------  --------------  ----  -------  ----  ----------  ---------
/vmfs/volumes/aaaa  datastore1 (4)  aaaa     true  NFS   1073741824  536870912
`;
  assert.deepEqual(parseFilesystemList(spaces).map((r) => [r.volumeName, r.type, r.freeBytes]), [["datastore1 (4)", "NFS", 536870912]]);
  const unicode = `Mount Point         Volume Name  UUID  Mounted  Type          Size  Free
------------------  -----------  ----  -------  ------  ----------  ----
/vmfs/volumes/cccc  Ünïcødé 名前   cccc    false  VMFS-5  1073741824     0`;
  assert.deepEqual(parseFilesystemList(unicode).map((r) => [r.volumeName, r.mounted, r.freeBytes]), [["Ünïcødé 名前", false, 0]]);
});

// Whether esxcli pads by characters or by UTF-8 bytes is unconfirmed: a table laid out by bytes (each
// column as wide as its widest cell in bytes, each cell padded to it by bytes) is read as well.
test("a table padded by UTF-8 bytes, with non-ASCII volume names, is read; a row that fits neither reading is refused", () => {
  const rows = [
    ["Mount Point", "Volume Name", "UUID", "Mounted", "Type", "Size", "Free"],
    ["/vmfs/volumes/aaaa", "Ünïcødé 名前", "aaaa", "true", "VMFS-6", "1073741824", "536870912"],
    ["/vmfs/volumes/bbbb", "datastore1", "bbbb", "true", "NFS", "2147483648", "1073741824"],
  ];
  const bytes = (text: string): number => Buffer.byteLength(text, "utf8");
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => bytes(row[column] ?? "")))) ?? [];
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell + " ".repeat((widths[column] ?? 0) - bytes(cell))).join("  ").trimEnd();
  const output = [line(rows[0] ?? []), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line)].join("\n");
  assert.deepEqual(
    parseFilesystemList(output).map((r) => [r.volumeName, r.uuid, r.mounted, r.type, r.sizeBytes, r.freeBytes]),
    [
      ["Ünïcødé 名前", "aaaa", true, "VMFS-6", 1073741824, 536870912],
      ["datastore1", "bbbb", true, "NFS", 2147483648, 1073741824],
    ],
  );
  // One blank less after the name: it fits as characters no better than as bytes.
  const neither = output.replace("名前  ", "名前 ");
  assert.throws(() => parseFilesystemList(neither), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 3 && /does not fit the columns/u.test(e.message));
});

// A VMFS volume unmounted by `esxcli storage filesystem unmount`, as the VMware KB on unmounting a LUN
// shows it: no mount point, Mounted false, type `VMFS-unknown version`, size and free 0. Laid out by the
// rule of esxi-facts 1.11 (2 spaces between columns, Mounted/Size/Free right-aligned), beside an NFS 4.1
// volume and the 6.7 sample's rows.
const WITH_UNMOUNTED = `Mount Point                                        Volume Name  UUID                                 Mounted  Type                          Size          Free
-------------------------------------------------  -----------  -----------------------------------  -------  --------------------  ------------  ------------
/vmfs/volumes/611624d3-0014912e-65a2-525400f29a2a  datastore1   611624d3-0014912e-65a2-525400f29a2a     true  VMFS-6                 77846282240   76336332800
                                                   LUN01        4e414917-a8d75514-6bae-0019b9f1ecf4    false  VMFS-unknown version             0             0
/vmfs/volumes/0a1b2c3d-4e5f6071                    nfs41 share  0a1b2c3d-4e5f6071                       true  NFS41                 536870912000  268435456000
/vmfs/volumes/59c94171-6bfc5643-4f06-be7836afec3a               59c94171-6bfc5643-4f06-be7836afec3a     true  vfat                     261853184     106246144
`;

test("an unmounted VMFS volume (no mount point, 'VMFS-unknown version') is listed but is not a datastore; NFS 4.1 is one", () => {
  const rows = parseFilesystemList(WITH_UNMOUNTED);
  assert.deepEqual(rows[1], { mountPoint: "", volumeName: "LUN01", uuid: "4e414917-a8d75514-6bae-0019b9f1ecf4", mounted: false, type: "VMFS-unknown version", sizeBytes: 0, freeBytes: 0 });
  assert.deepEqual(rows.filter(isDatastore).map((r) => [r.volumeName, r.type]), [
    ["datastore1", "VMFS-6"],
    ["nfs41 share", "NFS41"],
  ]);
  // Only a volume that is not mounted may lack its mount point.
  assert.throws(() => parseFilesystemList(WITH_UNMOUNTED.replace("   false  VMFS-unknown", "    true  VMFS-unknown")), /incomplete row/u);
});

// Volumes whose free space a backup cannot judge or a restore cannot write to as files (docs/adr/0039):
// vSAN (mounted at `/vmfs/volumes/vsan:<uuid>`, the path public vSphere CSI configurations name), an
// OSDATA volume typed `VMFS-L` (as some 7.0 listings name it) and a vVol container. Their exact `Type`
// words are not in esxi-facts: whatever they are, anything but VMFS-n and NFS is not a datastore here.
// Laid out by the rule of esxi-facts 1.11 (derived).
const OTHER_VOLUMES = `Mount Point                                           Volume Name                                 UUID                                    Mounted  Type             Size           Free
----------------------------------------------------  ------------------------------------------  --------------------------------------  -------  ------  -------------  -------------
/vmfs/volumes/vsan:525abe9561d93fa1-4add35a851137588  vsanDatastore                               vsan:525abe9561d93fa1-4add35a851137588     true  vsan    7681389268992  5260739510272
/vmfs/volumes/6a91690d-eac44959-2d46-001b21e7d76e     OSDATA-6a91690d-eac44959-2d46-001b21e7d76e  6a91690d-eac44959-2d46-001b21e7d76e        true  VMFS-L   128580583424   124127281152
/vmfs/volumes/vvol:5d0a6b7ce1f94e3c-8e2f1a2b3c4d5e6f  vvol-container                              vvol:5d0a6b7ce1f94e3c-8e2f1a2b3c4d5e6f     true  vvol    1099511627776  1099511627776
`;

test("vSAN, VMFS-L and vVol volumes are listed, and none of them is a datastore", () => {
  const rows = parseFilesystemList(OTHER_VOLUMES);
  assert.deepEqual(rows.map((r) => [r.mountPoint, r.type]), [
    ["/vmfs/volumes/vsan:525abe9561d93fa1-4add35a851137588", "vsan"],
    ["/vmfs/volumes/6a91690d-eac44959-2d46-001b21e7d76e", "VMFS-L"],
    ["/vmfs/volumes/vvol:5d0a6b7ce1f94e3c-8e2f1a2b3c4d5e6f", "vvol"],
  ]);
  assert.deepEqual(rows.filter(isDatastore), []);
});

test("CRLF line ends (a capture through a terminal) read like LF, trailing blanks trimmed or not", () => {
  assert.deepEqual(parseFilesystemList(ESXI_6_7.replaceAll("\n", "\r\n")), parseFilesystemList(ESXI_6_7));
  const trimmed = ESXI_8_0_2.split("\n").map((l) => l.trimEnd()).join("\r\n");
  assert.deepEqual(parseFilesystemList(trimmed), parseFilesystemList(ESXI_8_0_2));
});

test("output it does not understand is an error quoting the line", () => {
  assert.throws(() => parseFilesystemList("Error: Unknown command or namespace storage filesystem lst\n"), InvalidInputError);
  const broken = ESXI_6_7.replace("76336332800", "7633633280x");
  assert.throws(() => parseFilesystemList(broken), (e: unknown) => e instanceof InvalidInputError && e.message.includes("/vmfs/volumes/611624d3"));
  const shifted = ESXI_6_7.replace("  datastore1   ", "  datastore1 X ").replace("611624d3-0014912e-65a2-525400f29a2a     true", "611624d3-0014912e-65a2-525400f29a2a      true");
  assert.throws(() => parseFilesystemList(shifted), /does not fit the columns|runs past/u);
  const table: [string, string, number | undefined][] = [
    ["a size that is not a number", broken, 3],
    ["no dash line", ESXI_6_7.split("\n").filter((_, i) => i !== 1).join("\n"), 2],
    ["another header", ESXI_6_7.replace("Volume Name", "Volume Label"), undefined],
    ["a Mounted cell that is not a boolean", ESXI_6_7.replace("   true  VMFS-6   77846282240", "    yes  VMFS-6   77846282240"), 3],
    ["binary data", `${ESXI_6_7}\u0000\n`, 8],
    ["only a header", ESXI_6_7.split("\n")[0] ?? "", undefined],
  ];
  assert.throws(() => parseFilesystemList(ESXI_6_7.replace("Volume Name", "Volume Label")), /unexpected header "Mount Point {2,}Volume Label/u);
  for (const [what, output, lineNumber] of table) {
    assert.throws(
      () => parseFilesystemList(output),
      (e: unknown) => e instanceof HostOutputError && e instanceof InvalidInputError && e.field === "esxcli storage filesystem list output" && e.lineNumber === lineNumber,
      what,
    );
  }
});
