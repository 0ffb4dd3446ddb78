// VMDK descriptors from real hosts and hosted products (fixtures/corpus, sources in fixtures/corpus/SOURCES.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { parseVmdkDescriptor } from "./parse-vmdk-descriptor.js";

test("descriptor corpus: a physical RDM made by vmkfstools -z on an ESXi 6.7 host (virtualHWVersion 14)", () => {
  const file = "vmdk-rdmp-6.7-verbatim.txt";
  const d = parseVmdkDescriptor(fixtureText(`corpus/${file}`), file);
  assert.equal(d.createType, "vmfsPassthroughRawDeviceMap");
  assert.deepEqual(d.extents, [{ access: "RW", sizeSectors: 937703088, type: "VMFSRDM", fileName: "SL500-rdmp.vmdk", offsetSectors: undefined }]);
  assert.equal(d.capacityBytes, 937703088 * 512);
  assert.equal(d.isBase, true);
  assert.equal(d.thinProvisioned, false);
  assert.equal(d.ddb.get("ddb.virtualhwversion"), "14");
});

test("descriptor corpus: a Workstation disk split in 2 GB sparse extents, names with spaces", () => {
  const file = "vmdk-twogbmaxextentsparse-workstation-verbatim.txt";
  const d = parseVmdkDescriptor(fixtureText(`corpus/${file}`), file);
  assert.equal(d.createType, "twoGbMaxExtentSparse");
  assert.equal(d.cid, "bb3b482f");
  assert.equal(d.extents.length, 11);
  assert.deepEqual(d.extents[0], { access: "RW", sizeSectors: 4192256, type: "SPARSE", fileName: "OpenSUSE 64-bit-s001.vmdk", offsetSectors: undefined });
  assert.equal(d.extents[10]?.fileName, "OpenSUSE 64-bit-s011.vmdk");
  assert.equal(d.capacityBytes, (10 * 4192256 + 20480) * 512);
  assert.equal(d.values.get("isnativesnapshot"), "no");
});
