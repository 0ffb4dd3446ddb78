import type { TransporterId } from "./ids.js";

/** What a transporter tells the director about itself when it starts. */
export interface TransporterRegistration {
  transporterId: TransporterId;
  hostname: string;
  version: string;
  /** Repository locations this transporter can reach, as it names them (paths or URLs). */
  repositories: string[];
  /** How many tasks it runs at once. */
  maxConcurrentTasks: number;
}

/** The director's answer: how often to send heartbeats, and whether it accepted the transporter. */
export interface RegistrationAck {
  accepted: boolean;
  heartbeatIntervalMs: number;
  /** Why a transporter was refused; empty when accepted. */
  reason: string;
}

/** A periodic sign of life, with what the transporter is doing right now. */
export interface TransporterHeartbeat {
  transporterId: TransporterId;
  sentAt: Date;
  runningTaskIds: string[];
}
