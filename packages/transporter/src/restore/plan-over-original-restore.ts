/**
 * What a restore over the original VM (`--over-original`, asked for explicitly) will write, decided before
 * anything is written: the VM the point was made from must be registered under its name (exactly one),
 * powered off (a running guest would see its disks change under it) and without snapshots (the data would
 * land in a base the VM no longer writes to, and the user's snapshots are never touched). Each disk of the
 * point must match a disk of the VM at the same slot with one flat extent of the same size that the VM reads
 * directly (no delta left above it by a failed consolidation, not encrypted, vSAN or sparse); its `.vmx` and
 * everything else are kept.
 *
 * Pure: the point and what the host said in; a plan or a refusal out (table-tested).
 */
import type { RecoveryPoint } from "@esxbackup/domain";
import type { InventoryVm } from "../esxi/inventory/host-inventory.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";

export interface OverOriginalDisk {
  index: number;
  slot: string;
  flatPath: string;
  sizeBytes: number;
}

export interface OverOriginalPlan {
  vmid: string;
  name: string;
  /** The VM's datastore and folder (of its `.vmx`): where the restore's record is kept (restore-record.ts). */
  datastore: string;
  folderPath: string;
  disks: OverOriginalDisk[];
}

const FIELD = "--over-original";

export function planOverOriginalRestore(point: Pick<RecoveryPoint, "pointId" | "disks">, name: string, vms: readonly InventoryVm[]): OverOriginalPlan {
  const named = vms.filter((vm) => vm.name === name);
  const vm = named[0];
  if (vm === undefined || named.length > 1) {
    throw new HostRestoreRefusedError(FIELD, "vm-not-found", named.length > 1 ? `${named.length} VMs are named ${JSON.stringify(name)}; the original cannot be told apart` : `no VM named ${JSON.stringify(name)} is registered on the host`);
  }
  if (vm.powerState !== "poweredOff") {
    throw new HostRestoreRefusedError(FIELD, "vm-not-powered-off", `VM ${vm.vmid} ${JSON.stringify(name)} is ${vm.powerState === "poweredOn" ? "powered on" : "suspended"}; power it off first`);
  }
  if (vm.snapshots.length > 0) {
    throw new HostRestoreRefusedError(FIELD, "vm-has-snapshots", `VM ${vm.vmid} ${JSON.stringify(name)} has snapshots (${vm.snapshots.map((s) => JSON.stringify(s.name)).join(", ")}); a restore over it would write under them, and they are never removed for you`);
  }
  const disks = point.disks.map((disk): OverOriginalDisk => {
    const slot = disk.key.toLowerCase();
    const target = vm.disks.find((d) => d.slot.toLowerCase() === slot);
    const sizeBytes = Math.ceil(disk.sizeBytes / 512) * 512;
    const mismatch = (why: string): HostRestoreRefusedError => new HostRestoreRefusedError(FIELD, "disk-mismatch", `disk ${disk.index} of point ${point.pointId} (${slot}): ${why}`);
    if (target === undefined) throw mismatch(`VM ${vm.vmid} has no disk at ${slot}`);
    if (target.rdm !== undefined || target.extentPaths.length !== 1 || target.extentPaths[0] === undefined) throw mismatch(`the VM's disk there is not one flat file (${target.rdm === undefined ? `${target.extentPaths.length} extents` : "a raw device mapping"})`);
    // The flat file is the disk only when nothing stands above it and it holds the disk's bytes as they are:
    // under a delta left without a snapshot the guest would read the delta's blocks over the restored ones,
    // and an encrypted or sparse base would be overwritten with bytes of another format.
    if (target.deltaDescriptorPaths.length > 0) throw mismatch(`the VM runs on a delta above that disk's base (${target.deltaDescriptorPaths.join(", ")}), which would hide what is written to the base; consolidate its disks first`);
    if (target.refusal?.reason === "unsupported-format") throw mismatch(target.refusal.message);
    if (target.capacityBytes !== sizeBytes) throw mismatch(`the VM's disk there holds ${target.capacityBytes} bytes, the point's ${disk.sizeBytes}; a disk is restored over one of the same size only`);
    return { index: disk.index, slot, flatPath: target.extentPaths[0], sizeBytes };
  });
  return { vmid: vm.vmid, name, datastore: vm.datastore, folderPath: vm.vmxPath.slice(0, vm.vmxPath.lastIndexOf("/")), disks };
}
