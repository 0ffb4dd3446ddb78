/**
 * What a VM's disks held at the instant a snapshot was taken, recorded by the model so a test can check a
 * backup byte for byte against the exact moment it claims to capture.
 */
export const POINT_IN_TIME_CHUNK_BYTES = 1024 * 1024;

export interface DiskPointInTime {
  slot: string;
  sizeBytes: number;
  /** sha256 (hex) of each 1 MiB chunk, in order. */
  chunkSha256: string[];
  /** sha256 (hex) of the whole image. */
  imageSha256: string;
  /** The whole image, kept when the disk is at most `wholeImageMaxBytes` (see HostState). */
  image?: Buffer;
}

export interface PointInTimeRecord {
  vmid: number;
  snapshotUid: number;
  snapshotName: string;
  takenAt: Date;
  /** Number of workload writes the VM had made before the snapshot (the snapshot sits between two writes). */
  writesBefore: number;
  disks: DiskPointInTime[];
}
