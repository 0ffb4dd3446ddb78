import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { decodeVmxFile } from "./decode-vmx-file.js";
import { parseVmdkDescriptor } from "./parse-vmdk-descriptor.js";

test("vmdk: a thin base disk of a modern host (esxi-facts 2.3, verbatim)", () => {
  const d = parseVmdkDescriptor(fixtureText("vmdk-base-thin-verbatim.txt"));
  assert.deepEqual(
    { version: d.version, cid: d.cid, parentCid: d.parentCid, createType: d.createType, isBase: d.isBase, thin: d.thinProvisioned, capacityBytes: d.capacityBytes, hint: d.parentFileNameHint, ctk: d.changeTrackPath },
    { version: 1, cid: "3729b687", parentCid: "ffffffff", createType: "vmfs", isBase: true, thin: true, capacityBytes: 41943040 * 512, hint: undefined, ctk: undefined },
  );
  assert.deepEqual(d.extents, [{ access: "RW", sizeSectors: 41943040, type: "VMFS", fileName: "Base_R91-flat.vmdk", offsetSectors: undefined }]);
  assert.equal(d.ddb.get("ddb.adaptertype"), "ide");
  assert.equal(d.ddb.get("ddb.uuid"), "60 00 C2 9f 9a b0 9b 9c-13 55 b8 11 fd 2c 92 9b");
  assert.equal(d.ddb.size, 10);
});

test("vmdk: a seSparse delta and a vmfsSparse delta point at their parents (verbatim)", () => {
  const se = parseVmdkDescriptor(fixtureText("vmdk-sesparse-delta-verbatim.txt"));
  assert.deepEqual([se.createType, se.isBase, se.parentCid, se.parentFileNameHint, se.extents[0]?.type, se.extents[0]?.fileName], ["seSparse", false, "3729b687", "Base_R91.vmdk", "SESPARSE", "Base_R91-000001-sesparse.vmdk"]);
  const cowd = parseVmdkDescriptor(fixtureText("vmdk-vmfssparse-delta-verbatim.txt"));
  assert.deepEqual([cowd.createType, cowd.cid, cowd.parentCid, cowd.parentFileNameHint, cowd.extents[0]?.type, cowd.capacityBytes], ["vmfsSparse", "ffffffee", "fffffffe", "sql.vmdk", "VMFSSPARSE", 16777216 * 512]);
});

test("vmdk: an older thick base with isNativeSnapshot and ddb keys out of order (verbatim)", () => {
  const d = parseVmdkDescriptor(fixtureText("vmdk-base-thick-old-verbatim.txt"));
  assert.equal(d.thinProvisioned, false);
  assert.equal(d.values.get("isnativesnapshot"), "no");
  assert.equal(d.values.get("encoding"), "UTF-8");
  assert.equal(d.capacityBytes, 268435456 * 512);
  assert.equal(d.ddb.get("ddb.toolsversion"), "8295");
});

test("vmdk: version 3 with a change-tracking file (CBT on)", () => {
  const d = parseVmdkDescriptor(fixtureText("vmdk-cbt-version3-derived.txt"));
  assert.equal(d.version, 3);
  assert.equal(d.changeTrackPath, "VMname-ctk.vmdk");
  assert.equal(d.extents[0]?.fileName, "VMname-flat.vmdk");
});

test("vmdk: raw device mappings keep their createType and VMFSRDM extent", () => {
  const p = parseVmdkDescriptor(fixtureText("vmdk-rdm-physical-derived.txt"));
  assert.deepEqual([p.createType, p.extents[0]?.type], ["vmfsPassthroughRawDeviceMap", "VMFSRDM"]);
  assert.equal(parseVmdkDescriptor(fixtureText("vmdk-rdm-virtual-derived.txt")).createType, "vmfsRawDeviceMap");
});

test("vmdk: several extents with offsets, a ZERO extent, key case and CRLF", () => {
  const text = ["# Disk DescriptorFile", "Version=1", "cid=ABCDEF01", "PARENTcid=ffffffff", 'createtype="twoGbMaxExtentSparse"', 'RW 4192256 SPARSE "d-s001.vmdk"', 'RDONLY 2048 FLAT "d-f.vmdk" 128', "NOACCESS 1024 ZERO"].join("\r\n");
  const d = parseVmdkDescriptor(text);
  assert.equal(d.cid, "abcdef01");
  assert.equal(d.capacityBytes, (4192256 + 2048 + 1024) * 512);
  assert.deepEqual(d.extents[1], { access: "RDONLY", sizeSectors: 2048, type: "FLAT", fileName: "d-f.vmdk", offsetSectors: 128 });
  assert.deepEqual(d.extents[2], { access: "NOACCESS", sizeSectors: 1024, type: "ZERO", fileName: undefined, offsetSectors: undefined });
});

test("vmdk: a file name with quotes, brackets and spaces runs to the last quote of the extent line", () => {
  const d = parseVmdkDescriptor(fixtureText("vmdk-sesparse-delta-verbatim.txt").replaceAll("Base_R91", 'web [prod] "$x"'));
  assert.equal(d.extents[0]?.fileName, 'web [prod] "$x"-000001-sesparse.vmdk');
  assert.equal(d.parentFileNameHint, 'web [prod] "$x".vmdk');
});

test("vmdk: the verbatim descriptors with CRLF, blanks or tabs around '=', indented lines and trailing blanks read the same", () => {
  for (const fixture of ["vmdk-base-thin-verbatim.txt", "vmdk-base-thick-old-verbatim.txt", "vmdk-sesparse-delta-verbatim.txt", "vmdk-vmfssparse-delta-verbatim.txt", "vmdk-cbt-version3-derived.txt"]) {
    const text = fixtureText(fixture);
    const expected = parseVmdkDescriptor(text);
    const variants = [
      text.replaceAll("\n", "\r\n"),
      text.replaceAll(" = ", "=").replace(/^(version|CID|parentCID|createType)=/gmu, "$1 = "),
      text.replaceAll(" = ", "\t=\t"),
      text.split("\n").map((l) => (l.trim() === "" ? l : `\t${l}  `)).join("\n"),
    ];
    for (const variant of variants) assert.deepEqual(parseVmdkDescriptor(variant), expected, `${fixture}: ${JSON.stringify(variant.slice(0, 80))}`);
  }
});

const good = fixtureText("vmdk-base-thin-verbatim.txt");
const malformed: [string, string, number | undefined][] = [
  ["an empty file", "", undefined],
  ["a file that is not a descriptor", "vmkfstools: Failed to open disk\n", 1],
  ["descriptor lines that do not start with version", good.replace("# Disk DescriptorFile\nversion=1\n", "").replace("# Extent description", "version=1\n# Extent description"), 1],
  ["comments only", "# Disk DescriptorFile\n# Extent description\n", 1],
  ["binary data", "\u0000\u0001\u0000\u0000", 1],
  ["an unknown line", good.replace("# Extent description", "# Extent description\nsomething odd"), 8],
  ["an extent without a file", good.replace('RW 41943040 VMFS "Base_R91-flat.vmdk"', "RW 41943040 VMFS"), 8],
  ["a CID that is not hex", good.replace("CID=3729b687", "CID=IDHERE"), 3],
  ["a missing createType", good.replace('createType="vmfs"\n', ""), undefined],
  ["a missing extent", good.replace('RW 41943040 VMFS "Base_R91-flat.vmdk"\n', ""), undefined],
  ["conflicting duplicate keys", good.replace("version=1", "version=1\nversion=3"), 3],
  ["an unmatched quote", good.replace('createType="vmfs"', 'createType="vmfs'), 5],
];
for (const [what, input, lineNumber] of malformed) {
  test(`vmdk descriptor refuses ${what}`, () => {
    assert.throws(
      () => parseVmdkDescriptor(input, "/vmfs/volumes/ds/vm/disk.vmdk"),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && e.source === "/vmfs/volumes/ds/vm/disk.vmdk",
    );
  });
}

test("vmdk: a hosted sparse disk (its descriptor inside, magic KDMV) and a COWD extent are named for what they are", () => {
  const kdmv = `KDMV\u0001\u0000\u0000\u0000\u0003\u0000\u0000\u0000${"\u0000".repeat(500)}# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicSparse"\nRW 18432000 SPARSE "test.vmdk"\n`;
  assert.throws(
    () => parseVmdkDescriptor(kdmv, "/vmfs/volumes/ds/vm/test.vmdk"),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 1 && /monolithicSparse or streamOptimized, magic KDMV\): .*convert it with vmkfstools -i/u.test(e.message),
  );
  assert.throws(
    () => parseVmdkDescriptor("COWD\u0001\u0000\u0000\u0000\u0003\u0000", "/vmfs/volumes/ds/vm/sql-000001-delta.vmdk"),
    (e: unknown) => e instanceof HostOutputError && /a COWD sparse extent/u.test(e.message),
  );
});

test("vmdk: a descriptor in another encoding than UTF-8, decoded in its set, is read; text with undecoded bytes is refused", () => {
  const windows = fixtureText("vmdk-base-thick-old-verbatim.txt").replace('encoding="UTF-8"', 'encoding="windows-1252"');
  assert.equal(parseVmdkDescriptor(windows).extents[0]?.fileName, "sql-flat.vmdk");
  // Its bytes decoded by decodeVmxFile in the set it names: the name is the file's.
  const accented = windows.replace('"sql-flat.vmdk"', '"café-flat.vmdk"');
  assert.equal(parseVmdkDescriptor(decodeVmxFile(Buffer.from(accented, "latin1"), "d.vmdk")).extents[0]?.fileName, "café-flat.vmdk");
  // Bytes that were not UTF-8, decoded as UTF-8 anyway, arrive as U+FFFD: refused, whatever the descriptor says.
  const latin1 = Buffer.from(fixtureText("vmdk-base-thick-old-verbatim.txt").replace('"sql-flat.vmdk"', '"caf\u00e9-flat.vmdk"'), "latin1").toString("utf8");
  assert.throws(() => parseVmdkDescriptor(latin1, "d.vmdk"), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 10 && /: bytes that are not UTF-8, line 10/u.test(e.message));
});

test("vmdk: a descriptor written by hand without '# Disk DescriptorFile' reads as the host reads it (version first); comments after a value are dropped", () => {
  const good = fixtureText("vmdk-base-thin-verbatim.txt");
  assert.deepEqual(parseVmdkDescriptor(good.replace("# Disk DescriptorFile\n", "")), parseVmdkDescriptor(good));
  assert.deepEqual(parseVmdkDescriptor(`# written by hand\n\n${good.replace("# Disk DescriptorFile\n", "")}`), parseVmdkDescriptor(good));
  // As a streamOptimized generator writes its DDB.
  const commented = good.replace('ddb.virtualHWVersion = "6"', 'ddb.virtualHWVersion = "6" # This field is obsolete, used by ESX3.x and older only.');
  assert.equal(parseVmdkDescriptor(commented).ddb.get("ddb.virtualhwversion"), "6");
  assert.throws(() => parseVmdkDescriptor(good.replace('ddb.virtualHWVersion = "6"', 'ddb.virtualHWVersion = "6 # no closing quote')), HostOutputError);
});
