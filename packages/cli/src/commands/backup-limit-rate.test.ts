/**
 * `esxbackup backup --limit-rate` against a simulated host over real SSH, with time made by the test: the
 * limiter waits on a clock that moves only when it asks to wait, so the run's duration on that clock is the
 * time the limit held reads back — nothing depends on the machine's speed. Three VMs in one run share the
 * limit; an abort ends a read waiting for the limit at once; bad values exit 2.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import { DEFAULT_RATE_LIMIT_BURST_BYTES } from "@esxbackup/transporter";
import { LIMIT_TEST_DATA_BYTES as DATA_BYTES, assertBadLimitsRefused, assertInterruptedWhileHeld, useBackupLimitFixture } from "./backup-limit-fixture.js";
import { formatRunSummary } from "./backup-report.js";
import type { RunSummary } from "./backup-report.js";
import { fastForward, runCli } from "./repo/cli-test-support.js";

const MIB = 1024 * 1024;

interface BackupJson {
  vms: { vm: string; point?: string; counters?: { bytesRead: number } }[];
  summary: { vmsBackedUp: number; bytesRead: number; seconds: number; limitBytesPerSecond: number | null; secondsHeldByLimit: number };
}

describe("esxbackup backup --limit-rate against a simulated ESXi host", () => {
  const fixture = useBackupLimitFixture("esxbackup-limit-rate-");

  it("three VMs in one run read their data at the limit together: the time held back is their bytes over the rate, less the burst", async () => {
    const rate = 2 * MIB;
    const clock = new ManualClock(new Date());
    const scheduler = fastForward(clock);
    const result = await runCli([...fixture().backupArgs, "--vm", "alpha", "--vm", "beta", "--vm", "gamma", "--full", "--limit-rate", "2M/s", "--json"], {}, { clock, scheduler });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BackupJson;
    assert.equal(report.summary.vmsBackedUp, 3);
    assert.equal(report.summary.limitBytesPerSecond, rate);
    // Only the data crossed: the zero blocks cost nothing.
    assert.equal(report.summary.bytesRead, 3 * DATA_BYTES);
    // On this clock only the limiter's waits take time. The bucket starts full (one burst free); the last
    // read starts when its bytes are paid for, so the run's time is the rest over the rate, within one read.
    // (A limit per VM would take at most 3 × (8 − 4) MiB / 2 MiB/s = 6 s of the 10.)
    const paidSeconds = (report.summary.bytesRead - DEFAULT_RATE_LIMIT_BURST_BYTES) / rate;
    const oneReadSeconds = DEFAULT_RATE_LIMIT_BURST_BYTES / rate;
    assert.ok(report.summary.seconds >= paidSeconds - oneReadSeconds - 0.1, `${report.summary.seconds} s for ${report.summary.bytesRead} bytes at ${rate} B/s (${paidSeconds} s to pay)`);
    assert.ok(report.summary.seconds <= paidSeconds + 0.1, `${report.summary.seconds} s, not more than ${paidSeconds} s`);
    assert.ok(Math.abs(report.summary.secondsHeldByLimit - report.summary.seconds) < 0.01, "all that time was the limit's");
    assert.ok(scheduler.asked.length > 1);
    assert.match(formatRunSummary(report.summary as RunSummary), new RegExp(`\\(limited to 2\\.0 MiB/s: reads held back ${report.summary.secondsHeldByLimit.toFixed(1)} s\\)$`, "u"));
    for (const vmid of [1, 2, 3]) assert.deepEqual(fixture().model.inventory().find((v) => v.vmid === vmid)?.snapshots ?? [], []);
  });

  it("Ctrl-C while a read waits for the limit: exit 130, the snapshot removed", async () => {
    // The limit at its least, and time that never moves: the first read that must wait would wait for ever.
    await assertInterruptedWhileHeld(fixture(), { name: "alpha", vmid: 1 }, ["--full", "--limit-rate", "64K"]);
  });

  it("bad --limit-rate values exit 2, naming the option, before anything is done", async () => {
    await assertBadLimitsRefused(fixture(), "--limit-rate");
  });
});
