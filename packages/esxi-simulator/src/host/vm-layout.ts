/**
 * Where a VM's files are: its datastore, its folder (a real path under the sandbox root), its .vmx as the
 * sandbox sees it, and the data extents of each disk's chain. Pure path arithmetic over the config and
 * the inventory record; it touches no file.
 */
import { join } from "node:path";
import type { DatastoreConfig } from "../config/simulator-config.js";
import { deltaExtentFileOf, flatFileOf } from "./disk-file-names.js";
import type { SandboxPaths } from "./sandbox-paths.js";
import type { DiskRecord, VmRecord } from "./vm-record.js";

/** From this size on, VMFS5 takes seSparse deltas too ("2 TB and larger"). */
export const SESPARSE_ON_VMFS5_BYTES = 2 * 1024 ** 4;

export class VmLayout {
  constructor(
    private readonly datastores: readonly DatastoreConfig[],
    private readonly paths: SandboxPaths,
  ) {}

  datastoreOf(vm: VmRecord): DatastoreConfig {
    const ds = this.datastores.find((d) => d.uuid === vm.dsUuid);
    if (ds === undefined) throw new Error(`datastore ${vm.dsUuid} is gone`);
    return ds;
  }

  /** The VM folder's real path. */
  vmDir(vm: VmRecord): string {
    return join(this.paths.datastoreDir(this.datastoreOf(vm)), ...vm.folder.split("/"));
  }

  vmxSandboxPath(vm: VmRecord): string {
    return `/vmfs/volumes/${vm.dsUuid}/${vm.folder}/${vm.vmxFile}`;
  }

  /**
   * A disk's delta format (esxi-facts 2.1, vSphere Storage docs): seSparse on VMFS6, and on VMFS5 for disks
   * of 2 TiB or more; vmfsSparse (`-delta.vmdk`) for smaller disks on VMFS5.
   */
  seSparse(vm: VmRecord, disk: DiskRecord): boolean {
    return this.datastoreOf(vm).vmfsVersion === 6 || disk.sizeBytes >= SESPARSE_ON_VMFS5_BYTES;
  }

  deltaExtentOf(vm: VmRecord, disk: DiskRecord, descriptor: string): string {
    return deltaExtentFileOf(descriptor, this.seSparse(vm, disk));
  }

  /** Data extents (real, datastore-visible paths), base first. */
  extentPaths(vm: VmRecord, disk: DiskRecord): string[] {
    const dir = this.vmDir(vm);
    return [join(dir, flatFileOf(disk.baseFile)), ...disk.deltas.map((d) => join(dir, this.deltaExtentOf(vm, disk, d)))];
  }

  /** The extent the VM writes into: the base flat without snapshots, the newest delta with them. */
  topExtent(vm: VmRecord, disk: DiskRecord): string {
    const all = this.extentPaths(vm, disk);
    return all[all.length - 1] ?? "";
  }
}
