/**
 * A recovery point as recorded in its manifest (docs/repository-format.md §7): which VM, from which host,
 * when, its configuration files and its disks. Every point is complete on its own; `previousPointId` only
 * says what it was made from.
 */
import type { PointId } from "./ids.js";

export interface DiskGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

/** How the transporter detected changed ranges, and where the per-block fingerprints are kept. */
export interface ChangeFingerprints {
  /** e.g. "md5", "sha256", "xxh64". */
  algorithm: string;
  blockSizeBytes: number;
  digestLengthBytes: number;
}

export interface RecoveryPointDisk {
  /** Position in the manifest, 0-based; `--disk N` on the command line. */
  index: number;
  /** The disk's place in the VM, e.g. "scsi0:0". */
  key: string;
  /** The disk's file name on the datastore, e.g. "web01.vmdk". */
  name: string;
  sizeBytes: number;
  geometry?: DiskGeometry;
  adapterType?: string;
  chunkCount: number;
  zeroChunkCount: number;
  fingerprints?: ChangeFingerprints;
}

export interface VmConfigFile {
  name: string;
  content: Uint8Array;
}

export interface RecoveryPointVm {
  name: string;
  /** The host's identifier for the VM (e.g. the vim-cmd vmid or a moref). */
  id: string;
  uuid?: string;
}

export interface RecoveryPoint {
  pointId: PointId;
  createdAt: Date;
  vm: RecoveryPointVm;
  host: string;
  previousPointId?: PointId;
  chunkSizeBytes: number;
  tags: string[];
  configFiles: VmConfigFile[];
  disks: RecoveryPointDisk[];
}
