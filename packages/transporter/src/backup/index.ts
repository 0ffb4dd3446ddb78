/**
 * @esxbackup/transporter/backup — the backup pipeline on its own: the disk-source port, the local image
 * source, the pure planners, `backUpPoint` (and `backUpDisk` for a point of one disk) and the progress
 * reporter port they report through. A separate entry point because the package's main one also
 * loads the SSH adapters, start-up that `repo backup-image` of a local image has no use for (ADR 20; the
 * gRPC and BullMQ adapters, once the larger part of it, are now `@esxbackup/transporter/agent`). Nothing
 * here may import those adapters.
 */
export { planDiskChanges } from "./plan-disk-changes.js";
export type { ChunkBuild, DiskChangeInput, DiskChangePlan } from "./plan-disk-changes.js";
export type { DiskChannels, DiskSource, SourceFingerprints } from "./disk-source.js";
export { LocalImageDiskSource } from "./local-image-disk-source.js";
export { backUpDisk } from "./back-up-disk.js";
export type { BackUpDiskRequest, BackUpDiskResult } from "./back-up-disk.js";
export { DEFAULT_DISK_CONCURRENCY, backUpPoint } from "./back-up-point.js";
export type { BackUpPointRequest, BackUpPointResult, PointDiskRequest, PointDiskResult } from "./back-up-point.js";
export { silentProgress } from "../progress/progress-reporter.js";
export type { ProgressCounters, ProgressPhase, ProgressReporter, ProgressTask, ProgressTaskStart } from "../progress/progress-reporter.js";
export { needsPreviousFingerprints, planBackup, planReads } from "./plan-backup.js";
export type { BackupPlan, BackupPlanRequest, ChangeSource, ReadPlan } from "./plan-backup.js";
export { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
export type { BackupPlanRefusal } from "./backup-plan-refused-error.js";
export { backupCounters, sumBackupCounters } from "./backup-counters.js";
export type { BackupCounters } from "./backup-counters.js";
export { MAX_FINGERPRINTS_BYTES } from "./block-fingerprint-table.js";
