/**
 * What the host keeps about each registered VM: the inventory record persisted in
 * `esxsim-inventory.json`. The datastore files are the truth about disk contents; these records say which
 * files make up each disk's chain and which snapshot froze which file.
 */
import type { ByteRange, DiskProvisioning, PowerState, WorkloadConfig } from "../config/simulator-config.js";

export interface DiskRecord {
  slot: string;
  /** Base descriptor file name, relative to the VM folder. */
  baseFile: string;
  sizeBytes: number;
  provisioning: DiskProvisioning;
  uuid: string;
  cid: string;
  adapterType: string;
  /** Delta descriptor file names, oldest first; the last is the write target. */
  deltas: string[];
  hotSet: ByteRange[];
  /** CBT: the tracking epoch (`52 xx … xx-xx … xx`, the changeId's part before `/`), set when first needed. */
  changeEpoch?: string;
  /** CBT: guest writes so far (the changeId's sequence number). */
  changeSeq?: number;
  /** CBT: `changeSeq` at the moment each frozen level (base, then each delta but the top) was frozen. */
  levelSeqs?: number[];
}

export interface SnapshotRecord {
  uid: number;
  name: string;
  description: string;
  createdAtMs: number;
  state: "powered on" | "powered off" | "suspended";
  /** Disk (descriptor) each slot froze. */
  frozen: Record<string, string>;
}

export interface VmRecord {
  vmid: number;
  dsUuid: string;
  folder: string;
  vmxFile: string;
  name: string;
  guestId: string;
  annotation: string;
  powerState: PowerState;
  cbt: boolean;
  hardwareVersion: number;
  memoryMB: number;
  numCpus: number;
  uuidBios: string;
  vcUuid: string;
  instanceUuid: string;
  bootTimeMs?: number;
  disks: DiskRecord[];
  snapshots: SnapshotRecord[];
  /**
   * Deltas at the bottom of every disk's chain (just above the base) that no snapshot owns: left by a
   * removal whose consolidation failed (`faults.consolidate.leavesDeltas`), the state vSphere calls "disk
   * consolidation needed" (the .vmsd's `snapshot.needConsolidate`, esxi-facts 2.4). Snapshot i then owns
   * level `unownedDeltas + i + 1` of each chain. Absent: none.
   */
  unownedDeltas?: number;
  lastSnapshotUid: number;
  workload: WorkloadConfig;
  /**
   * Why hostd holds the VM as invalid though its `.vmx` is there: registered from a `.vmx` of a virtual
   * hardware version the release does not run (vim-cmd.ts). getallvms skips it, power.on fails. Absent: valid.
   */
  invalid?: string;
}

/** The descriptor the VM writes through now: the newest delta, or the base without snapshots. */
export function currentDescriptor(disk: DiskRecord): string {
  return disk.deltas[disk.deltas.length - 1] ?? disk.baseFile;
}

/** The VM's file base name (`<name>` of `<name>.vmx`), shared by .vmsd, .vmsn, .nvram. */
export function vmFileBase(vm: VmRecord): string {
  return vm.vmxFile.replace(/\.vmx$/u, "");
}
