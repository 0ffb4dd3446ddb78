/**
 * @esxbackup/transporter/agent — the transporter as the director's agent: a BullMQ worker that executes
 * tasks, and the gRPC client that reports their progress to the director (esxbackup.transport.v1).
 *
 * Kept apart from the package's main entry because BullMQ, ioredis and gRPC take about 300 ms to load,
 * and the command line (`esxbackup backup`, `restore`, `inventory`), which talks to hosts and repositories
 * directly, needs none of them.
 */
export { GrpcTransporterReporter } from "./grpc/grpc-transporter-reporter.js";
export type { ProgressStream } from "./grpc/grpc-transporter-reporter.js";
export { startBullmqTaskWorker } from "./tasks/bullmq-task-worker.js";
export type { BullmqTaskWorkerOptions, RunningTaskWorker, TaskHandlers } from "./tasks/bullmq-task-worker.js";
