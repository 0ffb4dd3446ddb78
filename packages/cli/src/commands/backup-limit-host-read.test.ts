/**
 * `esxbackup backup --limit-host-read` against a simulated host over real SSH, on a clock that moves only
 * when a limiter waits (as the `--limit-rate` test does): the run's duration on that clock is the time the
 * limit held the host's reads back — a first backup's one pass over every disk whole (docs/adr/0038), an
 * incremental's fingerprint pass and the blocks it reads to send — independent of the machine. Three VMs
 * in one run share the limit; an incremental, whose reads are few, is held back by its pass; with
 * `--limit-rate` too, both hold; Ctrl-C ends a part's wait; bad values exit 2.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import { DEFAULT_RATE_LIMIT_BURST_BYTES } from "@esxbackup/transporter";
import { LIMIT_TEST_DATA_BYTES as DATA_BYTES, LIMIT_TEST_DISK_BYTES as DISK_BYTES, assertBadLimitsRefused, assertInterruptedWhileHeld, useBackupLimitFixture } from "./backup-limit-fixture.js";
import { formatRunSummary } from "./backup-report.js";
import type { RunSummary } from "./backup-report.js";
import { fastForward, runCli } from "./repo/cli-test-support.js";

const MIB = 1024 * 1024;

interface BackupJson {
  vms: { vm: string; point?: string; previousPoint?: string | null }[];
  summary: RunSummary;
}

/**
 * On the fast-forward clock only the limiter's waits take time, and every take here is at most the bucket
 * (hash parts and reads of at most 4 MiB), which starts full: the last one goes when the bytes before it
 * and its own, less the first burst, are paid for at the rate — within a millisecond a wait (rounding).
 */
function assertHeldFor(summary: RunSummary, hostBytes: number, bytesPerSecond: number): void {
  const paidSeconds = (hostBytes - DEFAULT_RATE_LIMIT_BURST_BYTES) / bytesPerSecond;
  assert.ok(summary.seconds >= paidSeconds - 0.01, `${summary.seconds} s for ${hostBytes} bytes read on the host at ${bytesPerSecond} B/s (${paidSeconds} s to pay)`);
  assert.ok(summary.seconds <= paidSeconds + 0.1, `${summary.seconds} s, not more than ${paidSeconds} s`);
}

describe("esxbackup backup --limit-host-read against a simulated ESXi host", () => {
  const fixture = useBackupLimitFixture("esxbackup-limit-host-read-");

  it("first backups of three VMs in one run: each disk read once on the host, its data sent as it is read, the three sharing the limit", async () => {
    const result = await runCli([...fixture().backupArgs, "--vm", "alpha", "--vm", "beta", "--vm", "gamma", "--full", "--limit-host-read", "4M", "--json"], {}, fastClock());
    const rate = 4 * MIB;
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BackupJson;
    assert.equal(report.summary.vmsBackedUp, 3);
    assert.equal(report.summary.hostReadLimitBytesPerSecond, rate);
    assert.equal(report.summary.limitBytesPerSecond, null);
    assert.equal(report.summary.bytesRead, 3 * DATA_BYTES, "only the data was sent");
    // The host read each disk whole once (its zero blocks too), hashing as it read and sending the data:
    // (3 × 12 − 4) MiB / 4 MiB/s = 8 s. In two passes (hash, then the data again) it would be 14 s; with a
    // limit per VM (two VMs at a time), about 5 s.
    assertHeldFor(report.summary, 3 * DISK_BYTES, rate);
    assert.match(result.stderr, /"alpha" scsi0:0: read once with python, hashed on the host as it is read \(a full backup, --full\)/u);
    assert.ok(Math.abs(report.summary.secondsHeldByHostReadLimit - report.summary.seconds) < 0.01, "all that time was the limit's");
    assert.equal(report.summary.secondsHeldByLimit, 0);
    assert.match(formatRunSummary(report.summary), new RegExp(`\\(host reads limited to 4\\.0 MiB/s: held back ${report.summary.secondsHeldByHostReadLimit.toFixed(1)} s\\)$`, "u"));
    for (const vmid of [1, 2, 3]) assert.deepEqual(fixture().model.inventory().find((v) => v.vmid === vmid)?.snapshots ?? [], []);
  });

  it("an incremental reads little: the limit holds back its pass over the whole disk", async () => {
    // A point to continue from, unlimited, then a few writes to back up.
    const first = await runCli([...fixture().backupArgs, "--vm", "alpha", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    await fixture().model.workload(1).writeNow(3);
    const result = await runCli([...fixture().backupArgs, "--vm", "alpha", "--limit-host-read", "2M/s", "--json"], {}, fastClock());
    const rate = 2 * MIB;
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BackupJson;
    assert.equal(report.vms[0]?.previousPoint, (JSON.parse(first.stdout) as BackupJson).vms[0]?.point, "an incremental");
    assert.ok(report.summary.bytesRead > 0 && report.summary.bytesRead <= 3 * 2 * 65536, `read ${report.summary.bytesRead} bytes after 3 writes`);
    // (12 MiB hashed + the changed blocks read − 4 MiB) / 2 MiB/s: over 4 s, where the reads alone would
    // not wait at all.
    assertHeldFor(report.summary, DISK_BYTES + report.summary.bytesRead, rate);
    assert.deepEqual(fixture().model.inventory().find((v) => v.vmid === 1)?.snapshots ?? [], []);
  });

  it("with --limit-rate too, both hold: the slower one sets the pace", async () => {
    // The wire's limit slower: (8 − 4) MiB of data at 1 MiB/s = 4 s; the host's alone would take (20 − 4) / 8 = 2 s.
    const wireBound = await runCli([...fixture().backupArgs, "--vm", "beta", "--full", "--limit-rate", "1M", "--limit-host-read", "8M", "--json"], {}, fastClock());
    assert.equal(wireBound.code, 0, wireBound.stderr);
    const wire = (JSON.parse(wireBound.stdout) as BackupJson).summary;
    assert.equal(wire.limitBytesPerSecond, MIB);
    assert.equal(wire.hostReadLimitBytesPerSecond, 8 * MIB);
    assert.ok(wire.seconds >= (DATA_BYTES - DEFAULT_RATE_LIMIT_BURST_BYTES) / MIB - 0.01, `${wire.seconds} s: the wire's limit held`);
    assert.ok(wire.secondsHeldByLimit > 0 && wire.secondsHeldByHostReadLimit >= 0);
    assert.match(formatRunSummary(wire), /\(limited to 1\.0 MiB\/s: reads held back \d+\.\d s\) \(host reads limited to 8\.0 MiB\/s: held back \d+\.\d s\)$/u);
    // The host's limit slower: the disk read once, (12 − 4) MiB at 2 MiB/s = 4 s; the wire's alone would
    // take (8 − 4) / 8 = 0.5 s.
    const hostBound = await runCli([...fixture().backupArgs, "--vm", "beta", "--full", "--limit-rate", "8M", "--limit-host-read", "2M", "--json"], {}, fastClock());
    assert.equal(hostBound.code, 0, hostBound.stderr);
    const hostSummary = (JSON.parse(hostBound.stdout) as BackupJson).summary;
    const hostSeconds = (DISK_BYTES - DEFAULT_RATE_LIMIT_BURST_BYTES) / (2 * MIB);
    assert.ok(hostSummary.seconds >= hostSeconds - 0.01, `${hostSummary.seconds} s: the host's limit held`);
    // The wire is paid as each read comes in; on this clock, which jumps to the host limiter's last wake-up
    // before the reads it let go are in, their wire payments can add its 0.5 s. Two passes would take 8 s.
    assert.ok(hostSummary.seconds <= hostSeconds + (DATA_BYTES - DEFAULT_RATE_LIMIT_BURST_BYTES) / (8 * MIB) + 0.01, `${hostSummary.seconds} s: the disk was read once`);
  });

  it("Ctrl-C while a hash part waits for the limit: exit 130, the snapshot removed", async () => {
    // At the least limit the pass goes in parts of 1 MiB: the first four take the bucket's burst, and the
    // fifth would wait for ever on time that never moves. (gamma has a point from the first test: this is
    // an incremental, which has nothing to read, so what waits is a part of the pass.)
    await assertInterruptedWhileHeld(fixture(), { name: "gamma", vmid: 3 }, ["--limit-host-read", "64K"]);
  });

  it("bad --limit-host-read values exit 2, naming the option, before anything is done; restore has no such option", async () => {
    await assertBadLimitsRefused(fixture(), "--limit-host-read");
    const restore = await runCli(["restore", "--repo", fixture().repo, "--point", "0", "--to-file", join(fixture().work, "out.raw"), "--limit-host-read", "1M"]);
    assert.equal(restore.code, 2, restore.stderr);
    assert.match(restore.stderr, /unknown option '--limit-host-read'/u);
  });
});

function fastClock(): { clock: ManualClock; scheduler: ReturnType<typeof fastForward> } {
  const clock = new ManualClock(new Date());
  return { clock, scheduler: fastForward(clock) };
}
