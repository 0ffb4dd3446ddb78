/**
 * @esxbackup/director — the control plane. Owns all state in PostgreSQL, serves the REST API and the web
 * console over HTTPS, schedules runs and pushes tasks to transporters through BullMQ, and receives their
 * registrations, heartbeats and progress over gRPC. It never talks to an ESXi host or reads disk data.
 */
export { startTransporterGrpcServer } from "./grpc/transporter-grpc-server.js";
export type { ProgressSink, RunningGrpcServer, TransporterGrpcServerOptions, TransporterRegistry } from "./grpc/transporter-grpc-server.js";
export { BullmqTaskQueue } from "./bullmq/bullmq-task-queue.js";
export type { TaskQueue } from "./bullmq/task-queue.js";
export { connectPostgres } from "./postgres/connect-postgres.js";
export type { PostgresOptions, Sql } from "./postgres/connect-postgres.js";
