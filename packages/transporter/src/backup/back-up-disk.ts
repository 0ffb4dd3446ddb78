/**
 * A point of one disk (what `repo backup-image` makes of a local image): `backUpPoint` with that disk
 * alone, its result flattened.
 */
import type { ChangeFingerprints, Clock, DiskGeometry, PointId, RecoveryPointVm, VmConfigFile } from "@esxbackup/domain";
import type { Repository } from "@esxbackup/repository";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { backUpPoint } from "./back-up-point.js";
import type { BackupCounters } from "./backup-counters.js";
import type { DiskSource } from "./disk-source.js";
import type { ChangeSource } from "./plan-backup.js";

export interface BackUpDiskRequest {
  repository: Repository;
  source: DiskSource;
  point: { vm: RecoveryPointVm; host: string; configFiles: VmConfigFile[]; tags: string[]; flushEveryBytes?: number; previousPointId?: PointId };
  disk: { key: string; geometry?: DiskGeometry; adapterType?: string };
  changes: ChangeSource;
  /** The fingerprints to record (see `BackupPlanRequest.requested`). */
  fingerprints?: ChangeFingerprints;
  signal: AbortSignal;
  clock: Clock;
  progress: ProgressReporter;
}

export interface BackUpDiskResult {
  point: PointId;
  seconds: number;
  counters: BackupCounters;
  fingerprints?: ChangeFingerprints;
  changed?: { ranges: number; bytes: number };
}

export async function backUpDisk(request: BackUpDiskRequest): Promise<BackUpDiskResult> {
  const result = await backUpPoint({
    repository: request.repository,
    signal: request.signal,
    clock: request.clock,
    progress: request.progress,
    point: request.point,
    disks: [{ ...request.disk, source: request.source, changes: request.changes, ...(request.fingerprints === undefined ? {} : { fingerprints: request.fingerprints }) }],
  });
  const disk = result.disks[0];
  return {
    point: result.point,
    seconds: result.seconds,
    counters: result.counters,
    ...(disk?.fingerprints === undefined ? {} : { fingerprints: disk.fingerprints }),
    ...(disk?.changed === undefined ? {} : { changed: disk.changed }),
  };
}
