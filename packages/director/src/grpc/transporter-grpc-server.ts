/**
 * The director's side of esxbackup.transport.v1: receives registrations, heartbeats and progress streams
 * from transporters and hands them, as domain records, to the ports below. Proto types and gRPC status
 * codes stop here: bad input from a transporter becomes INVALID_ARGUMENT naming the field, anything else
 * INTERNAL without details (they go to the director's log, not to the peer).
 */
import { EsxbackupError, InvalidInputError, type DiskProgress, type RegistrationAck, type TransporterHeartbeat, type TransporterRegistration } from "@esxbackup/domain";
import {
  diskProgressFromProto,
  heartbeatFromProto,
  registrationAckToProto,
  registrationFromProto,
  TransporterServiceService,
  type TransporterServiceServer,
} from "@esxbackup/proto";
import type { ServerCredentials} from "@grpc/grpc-js";
import { Server, status, type ServiceError } from "@grpc/grpc-js";

/** Where registrations and heartbeats go (Postgres in production, memory in tests). */
export interface TransporterRegistry {
  register(registration: TransporterRegistration): Promise<RegistrationAck>;
  heartbeat(heartbeat: TransporterHeartbeat): Promise<{ cancelTaskIds: string[] }>;
}

/** Where progress goes. Called once per report, in arrival order within one stream. */
export interface ProgressSink {
  record(progress: DiskProgress): Promise<void>;
}

export interface TransporterGrpcServerOptions {
  /** host:port to bind; port 0 picks a free one. */
  address: string;
  registry: TransporterRegistry;
  progressSink: ProgressSink;
  /** TLS in production; insecure only for loopback tests. */
  credentials: ServerCredentials;
  onInternalError?: (error: unknown) => void;
}

export interface RunningGrpcServer {
  port: number;
  close(): Promise<void>;
}

function toServiceError(error: unknown, onInternalError: (error: unknown) => void): Partial<ServiceError> {
  if (error instanceof InvalidInputError) return { code: status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof EsxbackupError) return { code: status.FAILED_PRECONDITION, details: error.message };
  onInternalError(error);
  return { code: status.INTERNAL, details: "internal error in the director" };
}

export async function startTransporterGrpcServer(options: TransporterGrpcServerOptions): Promise<RunningGrpcServer> {
  const onInternalError = options.onInternalError ?? (() => undefined);
  const implementation: TransporterServiceServer = {
    register(call, callback) {
      Promise.resolve()
        .then(() => options.registry.register(registrationFromProto(call.request)))
        .then((ack) => callback(null, registrationAckToProto(ack)))
        .catch((error: unknown) => callback(toServiceError(error, onInternalError)));
    },
    heartbeat(call, callback) {
      Promise.resolve()
        .then(() => options.registry.heartbeat(heartbeatFromProto(call.request)))
        .then((answer) => callback(null, { cancelTaskIds: answer.cancelTaskIds }))
        .catch((error: unknown) => callback(toServiceError(error, onInternalError)));
    },
    reportProgress(call, callback) {
      // Reports are recorded one after another so the sink sees them in stream order.
      let accepted = 0;
      let failed = false;
      let chain: Promise<void> = Promise.resolve();
      call.on("data", (report) => {
        chain = chain.then(async () => {
          if (failed) return;
          await options.progressSink.record(diskProgressFromProto(report));
          accepted += 1;
        });
        chain.catch((error: unknown) => {
          if (failed) return;
          failed = true;
          callback(toServiceError(error, onInternalError));
        });
      });
      call.on("end", () => {
        void chain.then(() => {
          if (!failed) callback(null, { acceptedReports: accepted });
        }, () => undefined);
      });
    },
  };

  const server = new Server();
  server.addService(TransporterServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.address, options.credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
