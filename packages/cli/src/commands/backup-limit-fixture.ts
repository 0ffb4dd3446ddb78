/**
 * Test support for the limits of `esxbackup backup` (`--limit-rate`, `--limit-host-read`): a simulated ESXi
 * 8.0 host over real SSH with three idle VMs (alpha, beta, gamma: vmids 1-3), each one 12 MiB thin disk
 * whose first 8 MiB are data, a repository of 256 KiB chunks, and the command line that backs them up. The
 * VMs write nothing unless told (`model.workload(vmid).writeNow`), so what a run reads is known. Not part
 * of the CLI.
 */
import { strict as assert } from "node:assert";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before } from "node:test";
import { ManualClock, systemClock } from "@esxbackup/domain";
import type { HostModel } from "@esxbackup/esxi-simulator";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import { hostLoginFixture } from "./host-login-fixture.js";
import { neverFiring, runCli } from "./repo/cli-test-support.js";

const MIB = 1024 * 1024;
/** Each VM's disk. */
export const LIMIT_TEST_DISK_BYTES = 12 * MIB;
/** Its data, from its start: the rest is zero (hashed by the host, never read to be sent). */
export const LIMIT_TEST_DATA_BYTES = 8 * MIB;

export interface BackupLimitFixture {
  host: SimulatedHost;
  model: HostModel;
  /** The work folder: the repository, the host's state, the login files. */
  work: string;
  repo: string;
  /** `backup --host … --user … --known-hosts … --password-file … --repo …`: add the VMs and options. */
  backupArgs: string[];
  stop(): Promise<void>;
}

function vm(name: string, vmid: number): Record<string, unknown> {
  return {
    name,
    vmid,
    guestId: "ubuntu64Guest",
    powerState: "poweredOn",
    disks: [{ slot: "scsi0:0", sizeBytes: LIMIT_TEST_DISK_BYTES, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: LIMIT_TEST_DATA_BYTES }] }],
    workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: vmid },
  };
}

export async function startBackupLimitFixture(prefix: string): Promise<BackupLimitFixture> {
  const { work, passwordFile, knownHosts } = hostLoginFixture(prefix);
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
  const host = await SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
  const repo = join(work, "repo");
  assert.equal((await runCli(["repo", "init", "--repo", repo, "--chunk-size", "256K"])).code, 0);
  return {
    host,
    model: host.model as HostModel,
    work,
    repo,
    backupArgs: ["backup", "--host", `127.0.0.1:${host.port}`, "--user", "root", "--known-hosts", knownHosts, "--password-file", passwordFile, "--repo", repo],
    async stop() {
      await host.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * The fixture for the tests of the enclosing `describe`: started before them, stopped after them. Call the
 * result in a test to get it.
 */
export function useBackupLimitFixture(prefix: string): () => BackupLimitFixture {
  let started: BackupLimitFixture | undefined;
  before(async () => {
    started = await startBackupLimitFixture(prefix);
  });
  after(async () => started?.stop());
  return () => {
    if (started === undefined) throw new Error("the backup limit fixture is used before it started");
    return started;
  };
}

function snapshotsOf(fixture: BackupLimitFixture, vmid: number): unknown[] {
  return fixture.model.inventory().find((v) => v.vmid === vmid)?.snapshots ?? [];
}

/**
 * `backup --vm <vm> …options` on time that never moves, interrupted (as by Ctrl-C) the moment something
 * has to wait for a limit: it exits 130 and the VM's snapshot is removed.
 */
export async function assertInterruptedWhileHeld(fixture: BackupLimitFixture, vm: { name: string; vmid: number }, options: string[]): Promise<void> {
  const abort = new AbortController();
  const scheduler = neverFiring(() => queueMicrotask(() => abort.abort(new Error("interrupted"))));
  const result = await runCli([...fixture.backupArgs, "--vm", vm.name, ...options], {}, { clock: new ManualClock(new Date()), scheduler, signal: abort.signal });
  assert.equal(result.code, 130, result.stderr);
  assert.match(result.stderr, /snapshot "esxbackup-run-[^"]+" removed/u);
  assert.deepEqual(snapshotsOf(fixture, vm.vmid), []);
}

/** Malformed and too small values of a limit `option` exit 2 with a message naming it, before any snapshot. */
export async function assertBadLimitsRefused(fixture: BackupLimitFixture, option: string): Promise<void> {
  for (const value of ["fast", "0", "-5M", "1.5M", "10K", "50M/min", ""]) {
    const result = await runCli([...fixture.backupArgs, "--vm", "alpha", option, value]);
    assert.equal(result.code, 2, `${value}: ${result.stderr}`);
    const expected = value === "10K" ? `"10K" is below the least rate, 64 KiB/s` : "expected bytes per second like 50M, 800K or 50M/s";
    assert.ok(result.stderr.startsWith(`esxbackup: ${option}: ${expected}`), `${value}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /snapshot "esxbackup-run/u, value);
  }
  assert.deepEqual(snapshotsOf(fixture, 1), []);
}
