/**
 * @esxbackup/transporter — the data plane. A BullMQ worker that executes tasks (inventory, VM backup,
 * restore, verify, prune/gc): all ESXi I/O (SSH) and all repository I/O happens here. It reports to the
 * director over gRPC (esxbackup.transport.v1) and keeps no state of its own beyond the repositories it serves.
 */
export { GrpcTransporterReporter } from "./grpc/grpc-transporter-reporter.js";
export type { ProgressStream } from "./grpc/grpc-transporter-reporter.js";
export { startBullmqTaskWorker } from "./tasks/bullmq-task-worker.js";
export type { BullmqTaskWorkerOptions, RunningTaskWorker, TaskHandlers } from "./tasks/bullmq-task-worker.js";

// Change detection on the host (docs/adr/0019-host-block-fingerprints.md).
export { pythonBlockHashCommand, shellBlockHashCommand } from "./esxi/hashing/block-hash-command.js";
export type { HostCommand } from "./esxi/hashing/block-hash-command.js";
export type { BlockHashRequest } from "./esxi/hashing/block-hash-request.js";
export { BlockHashOutputError } from "./esxi/hashing/block-hash-output-error.js";
export { parseBlockHashOutput } from "./esxi/hashing/parse-block-hash-output.js";
export type { HostBlockHashes } from "./esxi/hashing/parse-block-hash-output.js";
export { DEFAULT_HOST_FINGERPRINTS, chooseHashingMethod } from "./esxi/hashing/hashing-method.js";
export type { HashingCapabilities, HashingMethod } from "./esxi/hashing/hashing-method.js";
export { joinHostBlockHashes, splitDiskForHashing } from "./esxi/hashing/host-disk-hashing.js";
export type { HostDiskKind } from "./esxi/hashing/host-disk-hashing.js";
export { chooseHostFingerprintKind, hashPartCount } from "./esxi/hashing/host-fingerprint-kind.js";
export { planDiskChanges } from "./backup/plan-disk-changes.js";
export type { ChunkBuild, DiskChangeInput, DiskChangePlan } from "./backup/plan-disk-changes.js";
