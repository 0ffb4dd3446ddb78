import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { DISK_PHASES, InvalidInputError, parseTaskId, parseTransporterId, type DiskProgress } from "@esxbackup/domain";
import { HeartbeatRequest, ProgressReport, RegisterRequest } from "../gen/esxbackup/transport/v1/transport.js";
import { diskProgressFromProto, diskProgressToProto } from "./disk-progress.js";
import { heartbeatFromProto, heartbeatToProto, registrationFromProto, registrationToProto } from "./transporter-registration.js";

/** Domain → proto → wire bytes → proto → domain. */
function throughWire(progress: DiskProgress): DiskProgress {
  const bytes = ProgressReport.encode(diskProgressToProto(progress)).finish();
  return diskProgressFromProto(ProgressReport.decode(bytes));
}

describe("proto ⇄ domain conversion", () => {
  for (const phase of DISK_PHASES) {
    it(`round-trips a ${phase} progress report through the wire format`, () => {
      const progress: DiskProgress = {
        taskId: parseTaskId("run-12.vm-4"),
        diskKey: "sata0:1",
        phase,
        bytesRead: 2 ** 40 + 1,
        bytesSent: 17,
        bytesWritten: 2 ** 33,
        bytesSkippedZero: 0,
        bytesDeduplicated: 5,
        diskSizeBytes: 2 ** 41,
        throughputBytesPerSecond: 123.25,
        reportedAt: new Date("2026-02-03T04:05:06.789Z"),
      };
      assert.deepEqual(throughWire(progress), progress);
    });
  }

  it("refuses a report with an unspecified phase", () => {
    const report = ProgressReport.fromPartial({ taskId: "t1", diskKey: "scsi0:0", reportedAt: new Date() });
    assert.throws(() => diskProgressFromProto(report), /progress report phase: unknown phase 0/);
  });

  it("refuses a report whose task id is not an id", () => {
    const report = diskProgressToProto({
      taskId: parseTaskId("ok"),
      diskKey: "scsi0:0",
      phase: "done",
      bytesRead: 0,
      bytesSent: 0,
      bytesWritten: 0,
      bytesSkippedZero: 0,
      bytesDeduplicated: 0,
      diskSizeBytes: 0,
      throughputBytesPerSecond: 0,
      reportedAt: new Date(),
    });
    assert.throws(() => diskProgressFromProto({ ...report, taskId: "rm -rf /" }), InvalidInputError);
  });

  it("round-trips a registration and a heartbeat", () => {
    const registration = {
      transporterId: parseTransporterId("nas-01"),
      hostname: "nas",
      version: "0.1.0",
      repositories: ["/a", "/b c"],
      maxConcurrentTasks: 3,
    };
    const decoded = RegisterRequest.decode(RegisterRequest.encode(registrationToProto(registration)).finish());
    assert.deepEqual(registrationFromProto(decoded), registration);

    const heartbeat = { transporterId: parseTransporterId("nas-01"), sentAt: new Date("2026-02-03T04:05:06Z"), runningTaskIds: ["x"] };
    const decodedHeartbeat = HeartbeatRequest.decode(HeartbeatRequest.encode(heartbeatToProto(heartbeat)).finish());
    assert.deepEqual(heartbeatFromProto(decodedHeartbeat), heartbeat);
  });

  it("refuses a registration without capacity", () => {
    const request = RegisterRequest.fromPartial({ transporterId: "nas-01", hostname: "nas", maxConcurrentTasks: 0 });
    assert.throws(() => registrationFromProto(request), /registration maxConcurrentTasks: must be at least 1/);
  });
});
