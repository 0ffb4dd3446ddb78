/**
 * The transporter's side of esxbackup.transport.v1: registers, sends heartbeats, and streams progress per
 * task. Callers speak domain records; conversion to proto happens in @esxbackup/proto.
 */
import { EsxbackupError, type DiskProgress, type RegistrationAck, type TransporterHeartbeat, type TransporterRegistration } from "@esxbackup/domain";
import {
  diskProgressToProto,
  heartbeatToProto,
  registrationAckFromProto,
  registrationToProto,
  TransporterServiceClient,
} from "@esxbackup/proto";
import type { ChannelCredentials, ServiceError } from "@grpc/grpc-js";

/** One task's progress stream. `close` resolves with how many reports the director accepted. */
export interface ProgressStream {
  report(progress: DiskProgress): void;
  close(): Promise<number>;
}

function wrap(action: string, error: ServiceError): EsxbackupError {
  return new EsxbackupError("director_unavailable", `${action}: ${error.details || error.message}`, { cause: error });
}

export class GrpcTransporterReporter {
  readonly #client: TransporterServiceClient;

  constructor(address: string, credentials: ChannelCredentials) {
    this.#client = new TransporterServiceClient(address, credentials);
  }

  register(registration: TransporterRegistration): Promise<RegistrationAck> {
    return new Promise((resolve, reject) => {
      this.#client.register(registrationToProto(registration), (error, response) => {
        if (error) reject(wrap("registering with the director", error));
        else resolve(registrationAckFromProto(response));
      });
    });
  }

  heartbeat(heartbeat: TransporterHeartbeat): Promise<{ cancelTaskIds: string[] }> {
    return new Promise((resolve, reject) => {
      this.#client.heartbeat(heartbeatToProto(heartbeat), (error, response) => {
        if (error) reject(wrap("sending a heartbeat", error));
        else resolve({ cancelTaskIds: response.cancelTaskIds });
      });
    });
  }

  openProgressStream(): ProgressStream {
    let resolveDone!: (accepted: number) => void;
    let rejectDone!: (error: Error) => void;
    const done = new Promise<number>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const stream = this.#client.reportProgress((error, response) => {
      if (error) rejectDone(wrap("reporting progress", error));
      else resolveDone(response.acceptedReports);
    });
    return {
      report: (progress) => {
        stream.write(diskProgressToProto(progress));
      },
      close: () => {
        stream.end();
        return done;
      },
    };
  }

  close(): void {
    this.#client.close();
  }
}
