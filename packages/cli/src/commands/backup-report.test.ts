import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePointId } from "@esxbackup/domain";
import type { BackupCounters, VmBackupOutcome } from "@esxbackup/transporter";
import { backupReport, formatRunSummary, formatVmLines, type VmReport } from "./backup-report.js";

test("a failure worded as an earlier VM's points to that VM; other failures are printed whole", () => {
  const refused = "127.0.0.1:22: login as root refused (tried keyboard-interactive): the password was not accepted";
  const vms: VmReport[] = [
    { vm: "web", error: refused, code: "ssh_auth_failed" },
    { vm: "db [prod]", error: "no VM named \"db [prod]\" on the host", code: "vm_not_found" },
    { vm: "mail", error: refused, code: "ssh_auth_failed" },
    { vm: "files", error: refused, code: "ssh_auth_failed" },
  ];
  assert.deepEqual(formatVmLines(vms), [
    `"web": FAILED: ${refused}`,
    '"db [prod]": FAILED: no VM named "db [prod]" on the host',
    '"mail": FAILED: the same as "web" above',
    '"files": FAILED: the same as "web" above',
  ]);
});

test("a point without a previous one is a first backup, or with --full a full backup (the VM may have earlier points)", () => {
  const counters = {
    diskSizeBytes: 4 * 1024 * 1024, bytesTakenOver: 0, bytesZeroAtSource: 0, bytesRead: 1024 * 1024, bytesRebuiltUnread: 0, bytesNew: 1024 * 1024,
    bytesDeduplicated: 0, bytesSkippedZero: 3 * 1024 * 1024, bytesWritten: 1024 * 1024, chunksRead: 4, chunksStored: 4, chunksDeduplicated: 0, throughputBytesPerSecond: 0,
  };
  const vms: VmReport[] = [
    { vm: "web", point: "20261202T111326127Z-f03c123c", previousPoint: null, matchedBy: null, quiesced: false, warnings: [], seconds: 2, counters, disks: [] },
    { vm: "db", point: "20261202T111326127Z-0dc5860d", previousPoint: "20261201T111326127Z-0dc5860d", matchedBy: "uuid", quiesced: false, warnings: [], seconds: 2, counters, disks: [] },
  ];
  const rest = ": disks 4.0 MiB, 1.0 MiB read, 1.0 MiB new stored in 1.0 MiB, 0 B unchanged, 3.0 MiB zero, 0 B deduplicated, in 2.0 s";
  assert.deepEqual(formatVmLines(vms), [`"web": point 20261202T111326127Z-f03c123c (first backup)${rest}`, `"db": point 20261202T111326127Z-0dc5860d (from 20261201T111326127Z-0dc5860d)${rest}`]);
  assert.deepEqual(formatVmLines(vms, { full: true }), [`"web": point 20261202T111326127Z-f03c123c (full backup, --full)${rest}`, `"db": point 20261202T111326127Z-0dc5860d (from 20261201T111326127Z-0dc5860d)${rest}`]);
});

test("the run's summary adds up to the disks' size as each VM's line does: the unread rest of changed chunks is new, not lost", () => {
  const MIB = 1024 * 1024;
  const counters = (c: Partial<BackupCounters>): BackupCounters => ({
    diskSizeBytes: 0, bytesTakenOver: 0, bytesZeroAtSource: 0, bytesRead: 0, bytesRebuiltUnread: 0, bytesNew: 0, bytesDeduplicated: 0,
    bytesSkippedZero: 0, bytesWritten: 0, chunksRead: 0, chunksStored: 0, chunksDeduplicated: 0, throughputBytesPerSecond: 0, ...c,
  });
  const point = (vm: string, c: BackupCounters): VmBackupOutcome => ({
    vm,
    result: { vm, point: parsePointId("20261202T111326127Z-f03c123c"), previous: undefined, quiesced: false, warnings: [], seconds: 1, counters: c, disks: [] },
  });
  // An incremental: 2 MiB read, 3 MiB more of its changed chunks taken from the previous point unread.
  const incremental = counters({ diskSizeBytes: 64 * MIB, bytesTakenOver: 59 * MIB, bytesRead: 2 * MIB, bytesRebuiltUnread: 3 * MIB, bytesNew: 5 * MIB, bytesWritten: 4 * MIB });
  // A first backup: 8 MiB read, 2 of them already stored, the rest of the disk zero.
  const first = counters({ diskSizeBytes: 32 * MIB, bytesRead: 8 * MIB, bytesNew: 6 * MIB, bytesDeduplicated: 2 * MIB, bytesSkippedZero: 24 * MIB, bytesWritten: 6 * MIB });
  const { summary } = backupReport("esx1", [point("web", incremental), point("db", first), { vm: "mail", error: new Error("refused") }], 2);
  assert.equal(summary.bytesNew, 11 * MIB);
  assert.equal(summary.bytesNew + summary.bytesSkippedUnchanged + summary.bytesSkippedZero + summary.bytesDeduplicated, summary.diskBytes);
  assert.equal(
    formatRunSummary(summary),
    "2 VM(s) backed up, 1 failed: 10.0 MiB read on the host and sent, 11.0 MiB new stored in 10.0 MiB; skipped 59.0 MiB unchanged, 24.0 MiB zero, 2.0 MiB deduplicated; 2.0 s, 5.0 MiB/s",
  );
});
