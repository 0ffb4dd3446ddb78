/**
 * @esxbackup/domain — the vocabulary every other package speaks: ids, records, task payloads, progress
 * shapes, the clock and timers and the base errors. It does no I/O, so anything here can be used from any process
 * and tested with plain values.
 */
export type { Brand, HostId, PointId, TaskId, TransporterId } from "./ids.js";
export { parseHostId, parsePointId, parseTaskId, parseTransporterId } from "./ids.js";
export { EsxbackupError } from "./esxbackup-error.js";
export { copyBytes } from "./copy-bytes.js";
export { InvalidInputError } from "./invalid-input-error.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export { ManualClock } from "./manual-clock.js";
export type { Scheduler, SchedulerOptions } from "./scheduler.js";
export { ManualScheduler, timerScheduler, waitFor } from "./scheduler.js";
export type { DiskPhase, DiskProgress } from "./disk-progress.js";
export { DISK_PHASES } from "./disk-progress.js";
export type { RegistrationAck, TransporterHeartbeat, TransporterRegistration } from "./transporter-registration.js";
export type { Task, TaskKind, TaskKinds, TaskPayload, TaskResult } from "./task.js";
export { TASK_QUEUE_NAME } from "./task.js";
export type { EsxiVersion } from "./esxi-version.js";
export { ESXI_VERSIONS } from "./esxi-version.js";
export type { ChunkDigest } from "./chunk-digest.js";
export { CHUNK_DIGEST_BYTES, ZERO_CHUNK_DIGEST, isZeroChunkDigest, parseChunkDigest } from "./chunk-digest.js";
export type { ByteRange } from "./changed-ranges.js";
export { chunksOverlapping, parseChangedRanges } from "./changed-ranges.js";
export type {
  ChangeFingerprints,
  DiskGeometry,
  RecoveryPoint,
  RecoveryPointDisk,
  RecoveryPointVm,
  VmConfigFile,
} from "./recovery-point.js";
export type { DiskFingerprints, FingerprintAlgorithm } from "./block-fingerprints.js";
export {
  DEFAULT_FINGERPRINT_BLOCK_BYTES,
  FINGERPRINT_ALGORITHMS,
  MAX_FINGERPRINT_BLOCK_BYTES,
  MIN_FINGERPRINT_BLOCK_BYTES,
  checkFingerprintBlockSize,
  describeFingerprintKind,
  fingerprintBlockCount,
  isFingerprintAlgorithm,
  sameFingerprintKind,
} from "./block-fingerprints.js";
export { changedRangesFromFingerprints } from "./fingerprint-changes.js";
export { configFileNameProblem } from "./config-file-name.js";
