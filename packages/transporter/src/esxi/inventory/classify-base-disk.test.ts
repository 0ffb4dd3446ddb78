import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { parseVmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";
import { classifyBaseDisk, type BaseDiskClass } from "./classify-base-disk.js";

/** A base descriptor with the given createType and extent lines, and any other lines (derived from esxi-facts 2.3's rules). */
function base(createType: string, extents: string[], more: string[] = []): string {
  return ["# Disk DescriptorFile", "version=1", "CID=fffffffe", "parentCID=ffffffff", `createType="${createType}"`, ...more, "", "# Extent description", ...extents, ""].join("\n");
}

const cases: { name: string; text: string; expected: BaseDiskClass["kind"]; why?: RegExp; compatibility?: string }[] = [
  { name: "an ESXi thin disk (verbatim)", text: fixtureText("vmdk-base-thin-verbatim.txt"), expected: "flat" },
  { name: "an older thick disk (verbatim)", text: fixtureText("vmdk-base-thick-old-verbatim.txt"), expected: "flat" },
  { name: "a CBT disk, version 3", text: fixtureText("vmdk-cbt-version3-derived.txt"), expected: "flat" },
  { name: "monolithicFlat: one FLAT extent at offset 0", text: base("monolithicFlat", ['RW 27648000 FLAT "test-flat.vmdk" 0']), expected: "flat" },
  { name: "a virtual RDM with CBT (verbatim)", text: fixtureText("vmdk-rdm-virtual-cbt-verbatim.txt"), expected: "rdm", compatibility: "virtual" },
  { name: "a physical RDM: createType decides, the extent is VMFSRDM too", text: fixtureText("vmdk-rdm-physical-derived.txt"), expected: "rdm", compatibility: "physical" },
  { name: "an old physical RDM's VMFSRAW extent", text: base("vmfs", ['RW 2048 VMFSRAW "lun-rdmp.vmdk"']), expected: "rdm", compatibility: "physical" },
  { name: "a vSAN base: its extent is an object", text: base("vmfs", ['RW 83886080 VMFS "vsan://f252ae55-2577-c9f5-98b7-001517a69c72"']), expected: "unreadable", why: /^is a vSAN object \(vsan:\/\/…\), not a file on the datastore/u },
  { name: "a vVol base", text: base("vmfs", ['RW 8388608 VMFS "vvol://rfc4122.9b4c/rfc4122.1f2e"']), expected: "unreadable", why: /^is a vvol object \(vvol:\/\/…\)/u },
  { name: "an encrypted disk (encryptionKeys)", text: base("vmfs", ['RW 1024 VMFS "test-flat.vmdk"'], ['encryptionKeys="vmware:key/fqid/my%2dunique%2did/production%2dserver/encryption%2dkey%2d001"']), expected: "encrypted" },
  { name: "an encrypted disk (the vmcrypt filter)", text: `${base("vmfs", ['RW 1024 VMFS "test-flat.vmdk"'])}ddb.iofilters = "vmwarevmcrypt"\n`, expected: "encrypted" },
  { name: "a disk with another I/O filter is read", text: `${base("vmfs", ['RW 1024 VMFS "test-flat.vmdk"'])}ddb.iofilters = "spm"\n`, expected: "flat" },
  { name: "twoGbMaxExtentSparse with one extent (a disk under 2 GB)", text: base("twoGbMaxExtentSparse", ['RW 4192256 SPARSE "test-s001.vmdk"']), expected: "unreadable", why: /^is a sparse disk \(createType "twoGbMaxExtentSparse", extent SPARSE\)/u },
  { name: "monolithicSparse named by a separate descriptor", text: base("monolithicSparse", ['RW 18432000 SPARSE "test.vmdk"']), expected: "unreadable", why: /^is a sparse disk/u },
  { name: "streamOptimized", text: base("streamOptimized", ['RW 2048 SPARSE "x-disk1.vmdk"']), expected: "unreadable", why: /^is a sparse disk/u },
  { name: "a vmfsSparse delta posing as a base", text: base("vmfsSparse", ['RW 16777216 VMFSSPARSE "sql-000001-delta.vmdk"']), expected: "unreadable", why: /extent VMFSSPARSE/u },
  { name: "a seSparse delta posing as a base", text: base("seSparse", ['RW 16777216 SESPARSE "sql-000001-sesparse.vmdk"']), expected: "unreadable", why: /extent SESPARSE/u },
  { name: "twoGbMaxExtentFlat: several files", text: base("twoGbMaxExtentFlat", ['RW 4192256 FLAT "t-f001.vmdk" 0', 'RW 2048 FLAT "t-f002.vmdk" 0']), expected: "unreadable", why: /^is split into 2 extents \(createType "twoGbMaxExtentFlat"\)/u },
  { name: "a flat extent followed by a ZERO extent", text: base("monolithicFlat", ['RW 2048 FLAT "t-flat.vmdk" 0', "RW 1024 ZERO"]), expected: "unreadable", why: /^is split into 2 extents/u },
  { name: "a ZERO extent alone", text: base("monolithicFlat", ["RW 1024 ZERO"]), expected: "unreadable", why: /^has a ZERO extent/u },
  { name: "a FLAT extent that starts inside its file", text: base("monolithicFlat", ['RW 2048 FLAT "disk.img" 63']), expected: "unreadable", why: /^starts 63 sectors into its file disk\.img/u },
  { name: "a hosted product's raw disk (fullDevice)", text: base("fullDevice", ['RW 2048 FLAT "/dev/sda" 0']), expected: "unreadable", why: /^maps a whole device or partitions \(createType "fullDevice"\)/u },
  { name: "a hosted product's raw partitions (partitionedDevice)", text: base("partitionedDevice", ['RW 63 FLAT "pt.vmdk" 0', 'RW 2048 FLAT "/dev/sda" 63']), expected: "unreadable", why: /^maps a whole device or partitions/u },
];
for (const c of cases) {
  test(`base disk: ${c.name} → ${c.expected}`, () => {
    const result = classifyBaseDisk(parseVmdkDescriptor(c.text));
    assert.equal(result.kind, c.expected, JSON.stringify(result));
    if (c.why !== undefined) assert.match(result.kind === "unreadable" ? result.why : "", c.why);
    if (c.compatibility !== undefined) assert.equal(result.kind === "rdm" ? result.compatibility : undefined, c.compatibility);
  });
}
