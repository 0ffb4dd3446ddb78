/** A read-only picture of one registered VM, for tests and the tools. */
import type { PowerState } from "../config/simulator-config.js";

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
