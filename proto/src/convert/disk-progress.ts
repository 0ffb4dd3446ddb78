/**
 * Domain ⇄ proto for progress reports. Proto types stop here: the rest of the code base sees `DiskProgress`.
 * Conversion from the wire validates, because a report comes from another process and may be malformed.
 */
import { DISK_PHASES, InvalidInputError, parseTaskId, type DiskPhase, type DiskProgress } from "@esxbackup/domain";
import { DiskPhase as ProtoDiskPhase, type ProgressReport } from "../gen/esxbackup/transport/v1/transport.js";

const TO_PROTO: Record<DiskPhase, ProtoDiskPhase> = {
  queued: ProtoDiskPhase.DISK_PHASE_QUEUED,
  snapshotting: ProtoDiskPhase.DISK_PHASE_SNAPSHOTTING,
  fingerprinting: ProtoDiskPhase.DISK_PHASE_FINGERPRINTING,
  transferring: ProtoDiskPhase.DISK_PHASE_TRANSFERRING,
  committing: ProtoDiskPhase.DISK_PHASE_COMMITTING,
  done: ProtoDiskPhase.DISK_PHASE_DONE,
  failed: ProtoDiskPhase.DISK_PHASE_FAILED,
};

const FROM_PROTO = new Map<ProtoDiskPhase, DiskPhase>(DISK_PHASES.map((phase) => [TO_PROTO[phase], phase]));

export function diskProgressToProto(progress: DiskProgress): ProgressReport {
  return {
    taskId: progress.taskId,
    diskKey: progress.diskKey,
    phase: TO_PROTO[progress.phase],
    bytesRead: progress.bytesRead,
    bytesSent: progress.bytesSent,
    bytesWritten: progress.bytesWritten,
    bytesSkippedZero: progress.bytesSkippedZero,
    bytesDeduplicated: progress.bytesDeduplicated,
    diskSizeBytes: progress.diskSizeBytes,
    throughputBytesPerSecond: progress.throughputBytesPerSecond,
    reportedAt: progress.reportedAt,
  };
}

export function diskProgressFromProto(report: ProgressReport): DiskProgress {
  const phase = FROM_PROTO.get(report.phase);
  if (phase === undefined) {
    throw new InvalidInputError("progress report phase", `unknown phase ${String(report.phase)}`);
  }
  if (report.diskKey === "") throw new InvalidInputError("progress report disk key", "must not be empty");
  if (report.reportedAt === undefined) throw new InvalidInputError("progress report time", "is missing");
  for (const [field, value] of [
    ["bytesRead", report.bytesRead],
    ["bytesSent", report.bytesSent],
    ["bytesWritten", report.bytesWritten],
    ["bytesSkippedZero", report.bytesSkippedZero],
    ["bytesDeduplicated", report.bytesDeduplicated],
    ["diskSizeBytes", report.diskSizeBytes],
    ["throughputBytesPerSecond", report.throughputBytesPerSecond],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidInputError(`progress report ${field}`, `must be a finite number >= 0 (got ${value})`);
    }
  }
  return {
    taskId: parseTaskId(report.taskId),
    diskKey: report.diskKey,
    phase,
    bytesRead: report.bytesRead,
    bytesSent: report.bytesSent,
    bytesWritten: report.bytesWritten,
    bytesSkippedZero: report.bytesSkippedZero,
    bytesDeduplicated: report.bytesDeduplicated,
    diskSizeBytes: report.diskSizeBytes,
    throughputBytesPerSecond: report.throughputBytesPerSecond,
    reportedAt: report.reportedAt,
  };
}
