/**
 * What a backup of one VM captures, decided from its inventory and the files read before the run's
 * snapshot (the `.vmx` and its disks' base descriptors), or why it cannot be captured consistently. Pure.
 *
 * Refused, with every reason at once: independent disks (a snapshot does not freeze them), raw device
 * mappings (their data is on a LUN, outside the snapshot's files), broken chains, and base disks in more
 * than one extent (split `2gbsparse` disks: not a VMFS disk a snapshot freezes as one file). The user's
 * snapshots are the run snapshot's decision (decideRunSnapshot), not this one.
 *
 * The point layout (agreed with restore): `vm` is the display name, the vmid as text and the `.vmx`
 * `uuid.bios`; each disk's `key` is its `.vmx` slot, `name` its base descriptor's file name, geometry and
 * adapter type from the descriptor's DDB, in slot order; the config files are the `.vmx`, `.nvram` and
 * `.vmsd` (when present) and each disk's base descriptor, under their base file names.
 */
import { posix } from "node:path";
import type { DiskGeometry, RecoveryPointVm } from "@esxbackup/domain";
import type { InventoryVm } from "../esxi/inventory/host-inventory.js";
import { snapshotFolderOf } from "../esxi/inventory/snapshot-folder.js";
import type { ParsedVmx } from "../esxi/parsers/parse-vmx.js";
import type { VmdkDescriptor } from "../esxi/parsers/parse-vmdk-descriptor.js";

export interface PlannedDisk {
  /** The `.vmx` slot, `scsi0:0`. */
  key: string;
  /** The base descriptor's file name, `web01.vmdk`. */
  name: string;
  baseDescriptorPath: string;
  /** The base's one data extent, read under the run's snapshot. */
  extentPath: string;
  sizeBytes: number;
  geometry?: DiskGeometry;
  adapterType?: string;
}

export type VmBackupPlan =
  | {
      kind: "back-up";
      vm: RecoveryPointVm;
      disks: PlannedDisk[];
      /** Host paths of the config files besides the descriptors; `optional` ones are kept only when present. */
      configFiles: { path: string; optional: boolean }[];
    }
  | { kind: "refused"; reasons: string[] };

export interface VmBackupPlanInput {
  vm: InventoryVm;
  vmx: ParsedVmx;
  /** Parsed base descriptors by path (InventoryDisk.baseDescriptorPath). */
  baseDescriptors: ReadonlyMap<string, VmdkDescriptor>;
}

const SLOT_ORDER = ["ide", "sata", "scsi", "nvme"];

export function planVmBackup(input: VmBackupPlanInput): VmBackupPlan {
  const { vm, vmx } = input;
  const reasons: string[] = [];
  const disks: PlannedDisk[] = [];
  for (const disk of vm.disks) {
    if (disk.refusal !== undefined) {
      reasons.push(`${disk.slot}: ${disk.refusal.message}`);
      continue;
    }
    if (disk.extentPaths.length !== 1) {
      reasons.push(`${disk.slot}: the base disk ${disk.baseDescriptorPath} has ${disk.extentPaths.length} extents; only single-extent (VMFS) disks are backed up`);
      continue;
    }
    // The inventory and the .vmx saved with the point are two reads: a VM reconfigured in between would give a
    // point whose .vmx does not know the disk, which restore could not put back.
    if (!vmx.deviceSlots.some((slot) => slot.slot === disk.slot.toLowerCase())) {
      reasons.push(`${disk.slot}: the .vmx read for the point names no disk at this slot (the VM's configuration changed while it was read); back it up again`);
      continue;
    }
    const descriptor = input.baseDescriptors.get(disk.baseDescriptorPath);
    if (descriptor === undefined) {
      reasons.push(`${disk.slot}: the base descriptor ${disk.baseDescriptorPath} was not read`);
      continue;
    }
    const geometry = geometryOf(descriptor);
    const adapterType = descriptor.ddb.get("ddb.adaptertype");
    disks.push({
      key: disk.slot,
      name: posix.basename(disk.baseDescriptorPath),
      baseDescriptorPath: disk.baseDescriptorPath,
      extentPath: disk.extentPaths[0] as string,
      sizeBytes: descriptor.capacityBytes,
      ...(geometry === undefined ? {} : { geometry }),
      ...(adapterType === undefined ? {} : { adapterType }),
    });
  }
  if (disks.length === 0 && reasons.length === 0) reasons.push("it has no disks to back up");
  if (reasons.length > 0) return { kind: "refused", reasons };
  disks.sort((a, b) => compareSlots(a.key, b.key));
  const uuid = vmx.values.get("uuid.bios");
  const folder = posix.dirname(vm.vmxPath);
  const nvram = vmx.values.get("nvram") ?? `${posix.basename(vm.vmxPath, ".vmx")}.nvram`;
  return {
    kind: "back-up",
    vm: { name: vm.name, id: vm.vmid, ...(uuid === undefined || uuid === "" ? {} : { uuid }) },
    disks,
    configFiles: [
      { path: vm.vmxPath, optional: false },
      { path: posix.resolve(folder, nvram), optional: true },
      // The .vmsd is kept with the snapshots: in the workingDir when the .vmx sets one.
      { path: `${snapshotFolderOf(vmx, vm.vmxPath)}${posix.basename(vm.vmxPath, ".vmx")}.vmsd`, optional: true },
    ],
  };
}

function geometryOf(descriptor: VmdkDescriptor): DiskGeometry | undefined {
  const [cylinders, heads, sectors] = ["cylinders", "heads", "sectors"].map((part) => Number(descriptor.ddb.get(`ddb.geometry.${part}`)));
  if (![cylinders, heads, sectors].every((n) => Number.isSafeInteger(n) && (n as number) > 0)) return undefined;
  return { cylinders: cylinders as number, heads: heads as number, sectors: sectors as number };
}

/** `scsi0:1` before `scsi0:10` before `scsi1:0`; buses in a fixed order. */
function compareSlots(a: string, b: string): number {
  const parse = (slot: string): [number, number, number] => {
    const match = /^([a-z]+)(\d+):(\d+)$/u.exec(slot);
    return [SLOT_ORDER.indexOf(match?.[1] ?? ""), Number(match?.[2] ?? 0), Number(match?.[3] ?? 0)];
  };
  const [x, y] = [parse(a), parse(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}
