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

  /** VMFS6 datastores take seSparse deltas, VMFS5 vmfsSparse (`-delta.vmdk`). */
  seSparse(vm: VmRecord): boolean {
    return this.datastoreOf(vm).vmfsVersion === 6;
  }

  deltaExtentOf(vm: VmRecord, descriptor: string): string {
    return deltaExtentFileOf(descriptor, this.seSparse(vm));
  }

  /** Data extents (real, datastore-visible paths), base first. */
  extentPaths(vm: VmRecord, disk: DiskRecord): string[] {
    const dir = this.vmDir(vm);
    return [join(dir, flatFileOf(disk.baseFile)), ...disk.deltas.map((d) => join(dir, this.deltaExtentOf(vm, d)))];
  }

  /** The extent the VM writes into: the base flat without snapshots, the newest delta with them. */
  topExtent(vm: VmRecord, disk: DiskRecord): string {
    const all = this.extentPaths(vm, disk);
    return all[all.length - 1] ?? "";
  }
}
