/**
 * @esxbackup/proto — the transporter ⇄ director contract (esxbackup.transport.v1).
 *
 * `gen/` is generated from the .proto files by `npm run gen:proto` and never edited; the test command fails
 * when it is stale. Everything else in the code base uses domain types: `convert/` is the one place where
 * proto messages and domain records meet.
 */
export {
  DiskPhase as ProtoDiskPhase,
  HeartbeatRequest,
  HeartbeatResponse,
  ProgressReport,
  RegisterRequest,
  RegisterResponse,
  ReportProgressResponse,
  TransporterServiceClient,
  TransporterServiceService,
} from "./gen/esxbackup/transport/v1/transport.js";
export type { TransporterServiceServer } from "./gen/esxbackup/transport/v1/transport.js";
export { diskProgressFromProto, diskProgressToProto } from "./convert/disk-progress.js";
export {
  heartbeatFromProto,
  heartbeatToProto,
  registrationAckFromProto,
  registrationAckToProto,
  registrationFromProto,
  registrationToProto,
} from "./convert/transporter-registration.js";
