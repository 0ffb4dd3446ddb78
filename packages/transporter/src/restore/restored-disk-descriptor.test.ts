import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../esxi/parsers/fixture-text.js";
import { parseVmdkDescriptor } from "../esxi/parsers/parse-vmdk-descriptor.js";
import { restoredDiskDescriptor } from "./restored-disk-descriptor.js";

// What vmkfstools -c writes for a thin disk: a real one (esxi-facts 2.3) given the SCSI adapter's values.
const created = fixtureText("vmdk-base-thin-verbatim.txt")
  .replace('ddb.adapterType = "ide"', 'ddb.adapterType = "lsilogic"')
  .replace('ddb.geometry.cylinders = "41610"', 'ddb.geometry.cylinders = "2610"')
  .replace('ddb.geometry.heads = "16"', 'ddb.geometry.heads = "255"');
const ide = { adapterType: "ide", geometry: { cylinders: 41610, heads: 16, sectors: 63 } };

test("restored descriptor: an IDE disk's adapter and geometry replace the SCSI ones vmkfstools wrote, every other line kept", () => {
  const text = restoredDiskDescriptor(created, ide);
  assert.equal(text, fixtureText("vmdk-base-thin-verbatim.txt"));
  const parsed = parseVmdkDescriptor(text ?? "");
  assert.equal(parsed.ddb.get("ddb.adaptertype"), "ide");
  assert.equal(parsed.extents[0]?.fileName, "Base_R91-flat.vmdk");
});

test("restored descriptor: nothing to change when the point recorded nothing, or the same values", () => {
  assert.equal(restoredDiskDescriptor(created, {}), undefined);
  assert.equal(restoredDiskDescriptor(fixtureText("vmdk-base-thin-verbatim.txt"), ide), undefined);
});

test("restored descriptor: lines the descriptor lacks are added after its last ddb line; CRLF kept", () => {
  const bare = "# Disk DescriptorFile\r\nversion=1\r\nCID=fffffffe\r\nparentCID=ffffffff\r\ncreateType=\"vmfs\"\r\n\r\nRW 2048 VMFS \"a-flat.vmdk\"\r\n\r\nddb.thinProvisioned = \"1\"\r\nddb.uuid = \"60 00 C2 9f\"\r\n";
  const text = restoredDiskDescriptor(bare, { adapterType: "buslogic", geometry: { cylinders: 1, heads: 255, sectors: 63 } });
  assert.equal(
    text,
    'ddb.thinProvisioned = "1"\r\nddb.uuid = "60 00 C2 9f"\r\nddb.adapterType = "buslogic"\r\nddb.geometry.cylinders = "1"\r\nddb.geometry.heads = "255"\r\nddb.geometry.sectors = "63"\r\n'
      .replace(/^/u, "# Disk DescriptorFile\r\nversion=1\r\nCID=fffffffe\r\nparentCID=ffffffff\r\ncreateType=\"vmfs\"\r\n\r\nRW 2048 VMFS \"a-flat.vmdk\"\r\n\r\n"),
  );
  // No ddb line at all: they go at the end, before the final line break.
  assert.equal(restoredDiskDescriptor("version=1\n", { adapterType: "ide" }), 'version=1\nddb.adapterType = "ide"\n');
});

test("restored descriptor: a recorded value a descriptor line cannot hold as it is is never written", () => {
  assert.equal(restoredDiskDescriptor(created, { adapterType: 'ide"\nddb.x = "1' }), undefined);
  assert.equal(restoredDiskDescriptor(created, { geometry: { cylinders: 0, heads: 16, sectors: 63 } }), undefined);
  assert.equal(restoredDiskDescriptor(created, { geometry: { cylinders: 1.5, heads: 16, sectors: 63 } }), undefined);
  // The adapter alone still goes in when only the geometry is unusable.
  assert.match(restoredDiskDescriptor(created, { adapterType: "ide", geometry: { cylinders: -1, heads: 16, sectors: 63 } }) ?? "", /^ddb\.adapterType = "ide"$/mu);
});
