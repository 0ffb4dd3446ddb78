/**
 * Transporter → director over gRPC on loopback with the generated code: registration, heartbeat and a
 * client-streaming progress report, through both sides' adapters.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { startTransporterGrpcServer, type RunningGrpcServer } from "@esxbackup/director";
import {
  EsxbackupError,
  parseTaskId,
  parseTransporterId,
  type DiskProgress,
  type RegistrationAck,
  type TransporterHeartbeat,
  type TransporterRegistration,
} from "@esxbackup/domain";
import { GrpcTransporterReporter } from "@esxbackup/transporter/agent";
import { credentials, ServerCredentials } from "@grpc/grpc-js";

function progress(overrides: Partial<DiskProgress>): DiskProgress {
  return {
    taskId: parseTaskId("run-7.vm-3"),
    diskKey: "scsi0:0",
    phase: "transferring",
    bytesRead: 0,
    bytesSent: 0,
    bytesWritten: 0,
    bytesSkippedZero: 0,
    bytesDeduplicated: 0,
    diskSizeBytes: 40 * 1024 ** 3,
    throughputBytesPerSecond: 0,
    reportedAt: new Date("2026-05-01T10:00:00.000Z"),
    ...overrides,
  };
}

describe("gRPC transporter service (loopback)", () => {
  const registrations: TransporterRegistration[] = [];
  const heartbeats: TransporterHeartbeat[] = [];
  const recorded: DiskProgress[] = [];
  let server: RunningGrpcServer;
  let reporter: GrpcTransporterReporter;

  before(async () => {
    server = await startTransporterGrpcServer({
      address: "127.0.0.1:0",
      credentials: ServerCredentials.createInsecure(),
      registry: {
        register: async (registration): Promise<RegistrationAck> => {
          registrations.push(registration);
          return { accepted: true, heartbeatIntervalMs: 15_000, reason: "" };
        },
        heartbeat: async (heartbeat) => {
          heartbeats.push(heartbeat);
          return { cancelTaskIds: heartbeat.runningTaskIds.filter((id) => id.startsWith("cancel-")) };
        },
      },
      progressSink: { record: async (report) => void recorded.push(report) },
    });
    reporter = new GrpcTransporterReporter(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  after(async () => {
    reporter.close();
    await server.close();
  });

  it("registers and receives the heartbeat interval", async () => {
    const ack = await reporter.register({
      transporterId: parseTransporterId("nas-01"),
      hostname: "nas-01.lan",
      version: "0.1.0",
      repositories: ["/srv/backup/repo"],
      maxConcurrentTasks: 4,
    });
    assert.deepEqual(ack, { accepted: true, heartbeatIntervalMs: 15_000, reason: "" });
    assert.equal(registrations[0]?.hostname, "nas-01.lan");
    assert.deepEqual(registrations[0]?.repositories, ["/srv/backup/repo"]);
  });

  it("answers a heartbeat with the tasks to cancel", async () => {
    const answer = await reporter.heartbeat({
      transporterId: parseTransporterId("nas-01"),
      sentAt: new Date("2026-05-01T10:00:05.000Z"),
      runningTaskIds: ["run-1", "cancel-run-2"],
    });
    assert.deepEqual(answer.cancelTaskIds, ["cancel-run-2"]);
    assert.equal(heartbeats[0]?.sentAt.toISOString(), "2026-05-01T10:00:05.000Z");
  });

  it("streams progress reports in order with every counter intact", async () => {
    recorded.length = 0;
    const stream = reporter.openProgressStream();
    const sent = [
      progress({ phase: "snapshotting" }),
      progress({ phase: "fingerprinting", bytesRead: 1 }),
      progress({
        bytesRead: 3 * 1024 ** 3,
        bytesSent: 2 * 1024 ** 3 + 7,
        bytesWritten: 900 * 1024 ** 2,
        bytesSkippedZero: 1024 ** 3,
        bytesDeduplicated: 123_456_789,
        throughputBytesPerSecond: 512.5 * 1024 ** 2,
        reportedAt: new Date("2026-05-01T10:03:00.250Z"),
      }),
      progress({ phase: "done", diskKey: "nvme0:1" }),
    ];
    for (const report of sent) stream.report(report);
    const accepted = await stream.close();
    assert.equal(accepted, sent.length);
    assert.deepEqual(recorded, sent);
  });

  it("rejects a malformed report naming the field", async () => {
    const stream = reporter.openProgressStream();
    stream.report(progress({ diskKey: "" }));
    await assert.rejects(stream.close(), (error: unknown) => {
      assert.ok(error instanceof EsxbackupError);
      assert.match(error.message, /progress report disk key: must not be empty/);
      return true;
    });
  });
});
