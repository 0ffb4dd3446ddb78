import type { TaskId } from "./ids.js";

/** Where one disk of one task is in the backup data path (architecture: "Backup of one VM"). */
export type DiskPhase =
  | "queued"
  | "snapshotting"
  | "fingerprinting"
  | "transferring"
  | "committing"
  | "done"
  | "failed";

export const DISK_PHASES: readonly DiskPhase[] = [
  "queued",
  "snapshotting",
  "fingerprinting",
  "transferring",
  "committing",
  "done",
  "failed",
];

/**
 * Cumulative counters for one disk of one task. Counters only grow within a task, so a receiver may keep
 * the latest report and drop older ones that arrive late.
 */
export interface DiskProgress {
  taskId: TaskId;
  /** The disk's position in the VM, e.g. "scsi0:0". */
  diskKey: string;
  phase: DiskPhase;
  /** Bytes read from the host (changed chunks, or the whole disk on a full read). */
  bytesRead: number;
  /** Bytes that crossed the network from the host, after any host-side filtering. */
  bytesSent: number;
  /** Bytes newly stored in the repository (after deduplication and compression). */
  bytesWritten: number;
  /** Bytes of all-zero chunks recognised and not stored. */
  bytesSkippedZero: number;
  /** Bytes of chunks already present in the repository. */
  bytesDeduplicated: number;
  /** Disk size, so a receiver can show a percentage. */
  diskSizeBytes: number;
  /** Smoothed read throughput at the time of the report. */
  throughputBytesPerSecond: number;
  reportedAt: Date;
}
