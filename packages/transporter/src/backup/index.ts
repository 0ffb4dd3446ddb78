/**
 * @esxbackup/transporter/backup — the backup pipeline on its own: the disk-source port, the local image
 * source, the pure planners and `backUpDisk`. A separate entry point because the package's main one also
 * loads the SSH, gRPC and BullMQ adapters, about 0.5 s of start-up that `repo backup-image` of a local
 * image has no use for (ADR 20). Nothing here may import those adapters.
 */
export { planDiskChanges } from "./plan-disk-changes.js";
export type { ChunkBuild, DiskChangeInput, DiskChangePlan } from "./plan-disk-changes.js";
export type { DiskChannels, DiskSource, SourceFingerprints } from "./disk-source.js";
export { LocalImageDiskSource } from "./local-image-disk-source.js";
export { backUpDisk } from "./back-up-disk.js";
export type { BackUpDiskRequest, BackUpDiskResult, BackupProgress } from "./back-up-disk.js";
export { needsPreviousFingerprints, planBackup, planReads } from "./plan-backup.js";
export type { BackupPlan, BackupPlanRequest, ChangeSource, ReadPlan } from "./plan-backup.js";
export { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
export type { BackupPlanRefusal } from "./backup-plan-refused-error.js";
export { backupCounters } from "./backup-counters.js";
export type { BackupCounters } from "./backup-counters.js";
export { MAX_FINGERPRINTS_BYTES } from "./block-fingerprint-table.js";
