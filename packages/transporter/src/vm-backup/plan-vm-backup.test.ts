import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { InventoryDisk, InventoryVm } from "../esxi/inventory/host-inventory.js";
import { parseVmdkDescriptor } from "../esxi/parsers/parse-vmdk-descriptor.js";
import { parseVmx } from "../esxi/parsers/parse-vmx.js";
import { planVmBackup } from "./plan-vm-backup.js";

const FOLDER = "/vmfs/volumes/datastore1/web01";

function descriptor(name: string, sectors: number): string {
  return [
    "# Disk DescriptorFile",
    "version=1",
    'encoding="UTF-8"',
    "CID=fffffffe",
    "parentCID=ffffffff",
    'createType="vmfs"',
    "",
    `RW ${sectors} VMFS "${name}-flat.vmdk"`,
    "",
    'ddb.adapterType = "lsilogic"',
    'ddb.geometry.cylinders = "1044"',
    'ddb.geometry.heads = "255"',
    'ddb.geometry.sectors = "63"',
    "",
  ].join("\n");
}

function disk(slot: string, name: string, extra: Partial<InventoryDisk> = {}): InventoryDisk {
  return {
    slot,
    bus: slot.replace(/\d.*$/u, "") as InventoryDisk["bus"],
    descriptorPath: `${FOLDER}/${name}.vmdk`,
    baseDescriptorPath: `${FOLDER}/${name}.vmdk`,
    extentPaths: [`${FOLDER}/${name}-flat.vmdk`],
    deltaDescriptorPaths: [],
    capacityBytes: 16 * 1024 * 1024,
    provisioning: "thin",
    cbtEnabled: false,
    mode: "persistent",
    rdm: undefined,
    refusal: undefined,
    ...extra,
  };
}

function vm(disks: InventoryDisk[]): InventoryVm {
  return { vmid: "3", name: "web01", powerState: "poweredOn", guestOs: "ubuntu64Guest", hardwareVersion: "vmx-14", annotation: "", vmxPath: `${FOLDER}/web01.vmx`, datastore: "datastore1", disks, snapshots: [] };
}

/** The VM's .vmx naming each disk at its slot. */
function vmxOf(disks: InventoryDisk[]): ReturnType<typeof parseVmx> {
  const slots = disks.map((d) => `${d.slot}.present = "TRUE"\n${d.slot}.fileName = "${d.baseDescriptorPath.replace(/^.*\//u, "")}"\n`).join("");
  return parseVmx(`.encoding = "UTF-8"\ndisplayName = "web01"\nuuid.bios = "42 07 aa bb cc dd ee ff-00 11 22 33 44 55 66 77"\nnvram = "web01.nvram"\n${slots}`);
}

function descriptors(disks: InventoryDisk[]): Map<string, ReturnType<typeof parseVmdkDescriptor>> {
  return new Map(disks.map((d) => [d.baseDescriptorPath, parseVmdkDescriptor(descriptor(d.baseDescriptorPath.replace(/^.*\/|\.vmdk$/gu, ""), 32768))]));
}

describe("planVmBackup", () => {
  it("backs up every disk in slot order with the agreed layout", () => {
    const disks = [disk("scsi0:10", "web01_2"), disk("scsi0:1", "web01_1"), disk("ide0:0", "web01")];
    const plan = planVmBackup({ vm: vm(disks), vmx: vmxOf(disks), baseDescriptors: descriptors(disks) });
    assert.equal(plan.kind, "back-up");
    if (plan.kind !== "back-up") return;
    assert.deepEqual(plan.vm, { name: "web01", id: "3", uuid: "42 07 aa bb cc dd ee ff-00 11 22 33 44 55 66 77" });
    assert.deepEqual(plan.disks.map((d) => [d.key, d.name, d.sizeBytes]), [["ide0:0", "web01.vmdk", 16 * 1024 * 1024], ["scsi0:1", "web01_1.vmdk", 16 * 1024 * 1024], ["scsi0:10", "web01_2.vmdk", 16 * 1024 * 1024]]);
    assert.deepEqual(plan.disks[0]?.geometry, { cylinders: 1044, heads: 255, sectors: 63 });
    assert.equal(plan.disks[0]?.adapterType, "lsilogic");
    assert.equal(plan.disks[0]?.extentPath, `${FOLDER}/web01-flat.vmdk`);
    assert.deepEqual(plan.configFiles, [
      { path: `${FOLDER}/web01.vmx`, optional: false },
      { path: `${FOLDER}/web01.nvram`, optional: true },
      { path: `${FOLDER}/web01.vmsd`, optional: true },
    ]);
  });

  it("saves the .vmsd from the workingDir when the .vmx sets one (the host keeps snapshot files there)", () => {
    const disks = [disk("scsi0:0", "web01")];
    const vmx = parseVmx(`workingDir = "/vmfs/volumes/snaps/web01/"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "web01.vmdk"\n`);
    const plan = planVmBackup({ vm: vm(disks), vmx, baseDescriptors: descriptors(disks) });
    assert.equal(plan.kind, "back-up");
    if (plan.kind !== "back-up") return;
    assert.deepEqual(plan.configFiles.map((file) => file.path), [`${FOLDER}/web01.vmx`, `${FOLDER}/web01.nvram`, "/vmfs/volumes/snaps/web01/web01.vmsd"]);
  });

  const refusals: { name: string; disks: InventoryDisk[]; vmxDisks?: InventoryDisk[]; reasons: RegExp[] }[] = [
    { name: "an independent disk", disks: [disk("scsi0:0", "a"), disk("scsi0:1", "b", { mode: "independent-persistent", refusal: { reason: "independent", message: "independent disks are not frozen by snapshots" } })], reasons: [/^scsi0:1: independent disks/u] },
    { name: "an RDM and a broken chain, both named", disks: [disk("scsi0:0", "a", { rdm: "physical", refusal: { reason: "rdm", message: "a raw device mapping" } }), disk("scsi0:1", "b", { refusal: { reason: "broken-chain", message: "Content ID mismatch" } })], reasons: [/^scsi0:0: a raw device mapping$/u, /^scsi0:1: Content ID mismatch$/u] },
    { name: "a split (multi-extent) disk", disks: [disk("scsi0:0", "a", { extentPaths: [`${FOLDER}/a-s001.vmdk`, `${FOLDER}/a-s002.vmdk`] })], reasons: [/has 2 extents/u] },
    { name: "no disk at all", disks: [], reasons: [/no disks/u] },
    { name: "a disk the saved .vmx does not name (reconfigured between the reads)", disks: [disk("scsi0:0", "a"), disk("scsi0:1", "b")], vmxDisks: [disk("scsi0:0", "a")], reasons: [/^scsi0:1: the \.vmx read for the point names no disk at this slot/u] },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}, with every reason`, () => {
      const plan = planVmBackup({ vm: vm(c.disks), vmx: vmxOf(c.vmxDisks ?? c.disks), baseDescriptors: descriptors(c.disks) });
      assert.equal(plan.kind, "refused");
      if (plan.kind !== "refused") return;
      assert.equal(plan.reasons.length, c.reasons.length, plan.reasons.join("; "));
      c.reasons.forEach((reason, index) => assert.match(plan.reasons[index] ?? "", reason));
    });
  }
});
