/** Domain ⇄ proto for registration and heartbeats; validates what arrives from the wire. */
import {
  InvalidInputError,
  parseTransporterId,
  type RegistrationAck,
  type TransporterHeartbeat,
  type TransporterRegistration,
} from "@esxbackup/domain";
import type {
  HeartbeatRequest,
  RegisterRequest,
  RegisterResponse,
} from "../gen/esxbackup/transport/v1/transport.js";

export function registrationToProto(registration: TransporterRegistration): RegisterRequest {
  return {
    transporterId: registration.transporterId,
    hostname: registration.hostname,
    version: registration.version,
    repositories: [...registration.repositories],
    maxConcurrentTasks: registration.maxConcurrentTasks,
  };
}

export function registrationFromProto(request: RegisterRequest): TransporterRegistration {
  if (request.hostname === "") throw new InvalidInputError("registration hostname", "must not be empty");
  if (request.maxConcurrentTasks < 1) {
    throw new InvalidInputError("registration maxConcurrentTasks", `must be at least 1 (got ${request.maxConcurrentTasks})`);
  }
  return {
    transporterId: parseTransporterId(request.transporterId),
    hostname: request.hostname,
    version: request.version,
    repositories: [...request.repositories],
    maxConcurrentTasks: request.maxConcurrentTasks,
  };
}

export function registrationAckToProto(ack: RegistrationAck): RegisterResponse {
  return { accepted: ack.accepted, heartbeatIntervalMs: ack.heartbeatIntervalMs, reason: ack.reason };
}

export function registrationAckFromProto(response: RegisterResponse): RegistrationAck {
  return { accepted: response.accepted, heartbeatIntervalMs: response.heartbeatIntervalMs, reason: response.reason };
}

export function heartbeatToProto(heartbeat: TransporterHeartbeat): HeartbeatRequest {
  return {
    transporterId: heartbeat.transporterId,
    sentAt: heartbeat.sentAt,
    runningTaskIds: [...heartbeat.runningTaskIds],
  };
}

export function heartbeatFromProto(request: HeartbeatRequest): TransporterHeartbeat {
  if (request.sentAt === undefined) throw new InvalidInputError("heartbeat sentAt", "is missing");
  return {
    transporterId: parseTransporterId(request.transporterId),
    sentAt: request.sentAt,
    runningTaskIds: [...request.runningTaskIds],
  };
}
