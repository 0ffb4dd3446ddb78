// Table tests of the restore over the original VM: accepted only for exactly one VM of the name, powered
// off, without snapshots, whose disks at the point's slots are single flat files of the same size that the VM
// reads directly (no delta above them, not encrypted, vSAN or sparse).
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PointId, RecoveryPointDisk } from "@esxbackup/domain";
import type { InventoryDisk, InventoryVm } from "../esxi/inventory/host-inventory.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import { planOverOriginalRestore } from "./plan-over-original-restore.js";

const MIB = 1024 * 1024;
const point = { pointId: "p1" as PointId, disks: [{ index: 0, key: "scsi0:0", name: "web.vmdk", sizeBytes: 8 * MIB, chunkCount: 8, zeroChunkCount: 0 } satisfies RecoveryPointDisk] };

function disk(overrides: Partial<InventoryDisk> = {}): InventoryDisk {
  return {
    slot: "scsi0:0", bus: "scsi", descriptorPath: "/vmfs/volumes/ds/web/web.vmdk", baseDescriptorPath: "/vmfs/volumes/ds/web/web.vmdk", extentPaths: ["/vmfs/volumes/ds/web/web-flat.vmdk"],
    deltaDescriptorPaths: [], capacityBytes: 8 * MIB, provisioning: "thin", cbtEnabled: false, mode: "persistent", rdm: undefined, refusal: undefined, ...overrides,
  };
}

function vm(overrides: Partial<InventoryVm> = {}): InventoryVm {
  return { vmid: "7", name: "web", powerState: "poweredOff", guestOs: "otherGuest64", hardwareVersion: "vmx-14", annotation: "", vmxPath: "/vmfs/volumes/ds/web/web.vmx", datastore: "ds", disks: [disk()], snapshots: [], ...overrides };
}

describe("planOverOriginalRestore", () => {
  it("plans each disk onto the VM's flat file at the same slot", () => {
    assert.deepEqual(planOverOriginalRestore(point, "web", [vm(), vm({ vmid: "8", name: "other" })]), { vmid: "7", name: "web", datastore: "ds", folderPath: "/vmfs/volumes/ds/web", disks: [{ index: 0, slot: "scsi0:0", flatPath: "/vmfs/volumes/ds/web/web-flat.vmdk", sizeBytes: 8 * MIB }] });
  });
  const refusals: [string, InventoryVm[], string, RegExp][] = [
    ["no VM of the name", [vm({ name: "other" })], "vm-not-found", /no VM named "web"/u],
    ["two VMs of the name", [vm(), vm({ vmid: "9" })], "vm-not-found", /2 VMs are named "web"/u],
    ["a running VM", [vm({ powerState: "poweredOn" })], "vm-not-powered-off", /is powered on/u],
    ["a suspended VM", [vm({ powerState: "suspended" })], "vm-not-powered-off", /is suspended/u],
    ["a VM with snapshots", [vm({ snapshots: [{ name: "mine", id: 1, description: "", createdOn: "", state: "powered off", children: [] } as unknown as InventoryVm["snapshots"][number]] })], "vm-has-snapshots", /has snapshots \("mine"\)/u],
    ["no disk at the slot", [vm({ disks: [disk({ slot: "scsi0:1" })] })], "disk-mismatch", /no disk at scsi0:0/u],
    ["a disk of another size", [vm({ disks: [disk({ capacityBytes: 16 * MIB })] })], "disk-mismatch", /holds 16777216 bytes/u],
    ["a raw device mapping", [vm({ disks: [disk({ rdm: "physical" })] })], "disk-mismatch", /raw device mapping/u],
    ["a disk under a delta no snapshot owns", [vm({ disks: [disk({ descriptorPath: "/vmfs/volumes/ds/web/web-000001.vmdk", deltaDescriptorPaths: ["/vmfs/volumes/ds/web/web-000001.vmdk"] })] })], "disk-mismatch", /runs on a delta above that disk's base \(\/vmfs\/volumes\/ds\/web\/web-000001\.vmdk\)/u],
    ["an encrypted disk", [vm({ disks: [disk({ refusal: { reason: "unsupported-format", message: "scsi0:0: the base disk /vmfs/volumes/ds/web/web.vmdk is encrypted (VM Encryption)" } })] })], "disk-mismatch", /is encrypted \(VM Encryption\)/u],
  ];
  for (const [what, vms, refusal, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(() => planOverOriginalRestore(point, "web", vms), (error: unknown) => error instanceof HostRestoreRefusedError && error.refusal === refusal && message.test(error.message));
    });
  }
});
