/** A read-only picture of one registered VM, for tests and the tools. */
import { join } from "node:path";
import type { PowerState } from "../config/simulator-config.js";
import type { VmLayout } from "./vm-layout.js";
import type { VmRecord } from "./vm-record.js";

export interface DiskView {
  slot: string;
  sizeBytes: number;
  provisioning: "thin" | "zeroedthick" | "eagerzeroedthick";
  /** Real paths of the chain's data extents, base first (where the bytes are, locked or not). */
  extentDataPaths: string[];
  /** Real paths as seen in the datastore (what the sandbox sees), base first: `-flat.vmdk`, then deltas. */
  extentPaths: string[];
  /** Real paths of the descriptors, base first. */
  descriptorPaths: string[];
}

export interface SnapshotView {
  uid: number;
  name: string;
  description: string;
  createdAt: Date;
}

export interface VmView {
  vmid: number;
  name: string;
  powerState: PowerState;
  /** Real path of the .vmx. */
  vmxPath: string;
  /** Sandbox path of the .vmx (`/vmfs/volumes/<uuid>/<folder>/<name>.vmx`). */
  vmxSandboxPath: string;
  disks: DiskView[];
  snapshots: SnapshotView[];
}

/** The view of `vm`; `dataPathOf` maps a datastore-visible extent path to where its bytes are. */
export function buildVmView(layout: VmLayout, vm: VmRecord, dataPathOf: (extentPath: string) => string): VmView {
  const dir = layout.vmDir(vm);
  return {
    vmid: vm.vmid,
    name: vm.name,
    powerState: vm.powerState,
    vmxPath: join(dir, vm.vmxFile),
    vmxSandboxPath: layout.vmxSandboxPath(vm),
    disks: vm.disks.map((d) => {
      const extents = layout.extentPaths(vm, d);
      return {
        slot: d.slot,
        sizeBytes: d.sizeBytes,
        provisioning: d.provisioning,
        extentPaths: extents,
        extentDataPaths: extents.map(dataPathOf),
        descriptorPaths: [d.baseFile, ...d.deltas].map((f) => join(dir, f)),
      };
    }),
    snapshots: vm.snapshots.map((s) => ({ uid: s.uid, name: s.name, description: s.description, createdAt: new Date(s.createdAtMs) })),
  };
}
