/**
 * `esxbackup backup --limit-rate` against a simulated host over real SSH, with time made by the test: the
 * limiter waits on a clock that moves only when it asks to wait, so the run's duration on that clock is the
 * time the limit held reads back — nothing depends on the machine's speed. Three VMs in one run share the
 * limit; an abort ends a read waiting for the limit at once; bad values exit 2.
 */
import { strict as assert } from "node:assert";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ManualClock, systemClock } from "@esxbackup/domain";
import type { Scheduler } from "@esxbackup/domain";
import type { HostModel } from "@esxbackup/esxi-simulator";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import { DEFAULT_RATE_LIMIT_BURST_BYTES } from "@esxbackup/transporter";
import { formatRunSummary } from "./backup-report.js";
import type { RunSummary } from "./backup-report.js";
import { hostLoginFixture } from "./host-login-fixture.js";
import { fastForward, runCli } from "./repo/cli-test-support.js";

const MIB = 1024 * 1024;
/** Each VM's disk: 12 MiB, 8 MiB of it data (the rest is zero and never read). */
const DATA_BYTES = 8 * MIB;

/** Timers that never fire: a read that has to wait for the limit waits until the run is aborted. */
function never(onArmed: () => void): Scheduler {
  return {
    every() {
      onArmed();
      return () => undefined;
    },
  };
}

interface BackupJson {
  vms: { vm: string; point?: string; counters?: { bytesRead: number } }[];
  summary: { vmsBackedUp: number; bytesRead: number; seconds: number; limitBytesPerSecond: number | null; secondsHeldByLimit: number };
}

function vm(name: string, vmid: number): Record<string, unknown> {
  return {
    name,
    vmid,
    guestId: "ubuntu64Guest",
    powerState: "poweredOn",
    disks: [{ slot: "scsi0:0", sizeBytes: 12 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: DATA_BYTES }] }],
    workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: vmid },
  };
}

describe("esxbackup backup --limit-rate against a simulated ESXi host", () => {
  const { work, passwordFile, knownHosts } = hostLoginFixture("esxbackup-limit-rate-");
  let host: SimulatedHost;
  let model: HostModel;
  let common: string[];
  const repo = join(work, "repo");

  before(async () => {
    const config = parseHostConfig(
      {
        name: "esx01",
        esxiVersion: "8.0",
        ssh: { port: 0, users: [{ name: "root", password: (await readFile(passwordFile, "utf8")).trimEnd() }] },
        datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1 << 30 }],
        vms: [vm("alpha", 1), vm("beta", 2), vm("gamma", 3)],
      },
      "test",
    );
    host = await SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
    model = host.model as HostModel;
    common = ["backup", "--host", `127.0.0.1:${host.port}`, "--user", "root", "--known-hosts", knownHosts, "--password-file", passwordFile, "--repo", repo];
    assert.equal((await runCli(["repo", "init", "--repo", repo, "--chunk-size", "256K"])).code, 0);
  });
  after(async () => {
    await host.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("three VMs in one run read their data at the limit together: the time held back is their bytes over the rate, less the burst", async () => {
    const rate = 2 * MIB;
    const clock = new ManualClock(new Date());
    const scheduler = fastForward(clock);
    const result = await runCli([...common, "--vm", "alpha", "--vm", "beta", "--vm", "gamma", "--full", "--limit-rate", "2M/s", "--json"], {}, { clock, scheduler });
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
    for (const vmid of [1, 2, 3]) assert.deepEqual(model.inventory().find((v) => v.vmid === vmid)?.snapshots ?? [], []);
  });

  it("Ctrl-C while a read waits for the limit: exit 130, the snapshot removed", async () => {
    const clock = new ManualClock(new Date());
    const abort = new AbortController();
    // The limit at its least, and time that never moves: the first read that must wait would wait for ever.
    const scheduler = never(() => queueMicrotask(() => abort.abort(new Error("interrupted"))));
    const result = await runCli([...common, "--vm", "alpha", "--full", "--limit-rate", "64K"], {}, { clock, scheduler, signal: abort.signal });
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /snapshot "esxbackup-run-[^"]+" removed/u);
    assert.deepEqual(model.inventory().find((v) => v.vmid === 1)?.snapshots ?? [], []);
  });

  it("bad --limit-rate values exit 2, naming the option, before anything is done", async () => {
    for (const value of ["fast", "0", "-5M", "1.5M", "10K", "50M/min", ""]) {
      const result = await runCli([...common, "--vm", "alpha", "--limit-rate", value]);
      assert.equal(result.code, 2, `${value}: ${result.stderr}`);
      assert.match(result.stderr, value === "10K" ? /^esxbackup: --limit-rate: "10K" is below the least rate, 64 KiB\/s/u : /^esxbackup: --limit-rate: expected bytes per second like 50M, 800K or 50M\/s/u, value);
      assert.doesNotMatch(result.stderr, /snapshot "esxbackup-run/u, value);
    }
    assert.deepEqual(model.inventory().find((v) => v.vmid === 1)?.snapshots ?? [], []);
  });
});
