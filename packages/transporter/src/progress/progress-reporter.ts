/**
 * The progress reporter port: what a backup or restore tells whoever watches it (a terminal, the director)
 * while it runs. Work is reported as tasks — one phase of one VM or one disk — that start, are updated with
 * how many of their bytes are done and what became of them, and stop. Several tasks may run at once (disks
 * backed up in parallel). Reporters compute rates and times left themselves, from their own clock: the
 * pipeline reports only facts, so what it reports does not depend on when it is looked at.
 *
 * Calls must be cheap and must not throw: they are made on the data path, for every run of chunks.
 */
import type { DiskProgress } from "@esxbackup/domain";

/** snapshot: the run snapshot is taken; fingerprint: the source hashes a disk; cleanup: the snapshot is removed. */
export type ProgressPhase = "snapshot" | "fingerprint" | "backup" | "restore" | "cleanup";

/**
 * What became of a task's bytes so far, named as the transport protocol's progress report names them
 * (`DiskProgress`), plus the bytes skipped because they did not change since the previous point.
 */
export type ProgressCounters = Pick<DiskProgress, "bytesRead" | "bytesSent" | "bytesWritten" | "bytesSkippedZero" | "bytesDeduplicated"> & {
  bytesSkippedUnchanged: number;
};

export interface ProgressTaskStart {
  phase: ProgressPhase;
  /** The VM the task works on, as the user knows it. */
  vm?: string;
  /** The disk, e.g. `scsi0:0 web01.vmdk`; absent for a task on the whole VM (snapshot, cleanup). */
  disk?: string;
  /** The bytes the task will have done when it stops; absent for a task not measured in bytes. */
  bytesTotal?: number;
  /**
   * The task reads the repository, not the disk's source (a previous point hashed again): no limit on
   * what the source reads paces it.
   */
  fromRepository?: boolean;
}

export interface ProgressTask {
  /** `bytesDone` only grows; `counters` are cumulative for this task (those left out are unchanged). */
  update(bytesDone: number, counters?: Partial<ProgressCounters>): void;
  /** Called once, whatever the outcome. */
  stop(): void;
}

export interface ProgressReporter {
  start(task: ProgressTaskStart): ProgressTask;
}

/** Reports nowhere: for callers that show no progress. */
export const silentProgress: ProgressReporter = {
  start: () => ({ update: () => undefined, stop: () => undefined }),
};
