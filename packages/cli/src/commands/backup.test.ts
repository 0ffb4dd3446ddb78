/**
 * `esxbackup backup` against a simulated host over real SSH, the guests writing all along: two VMs in one
 * run (--json names each point), restored with `repo restore-image` equal the simulator's record of each
 * disk at the run's snapshot; the next run is incremental; a VM with a user snapshot fails alone with the
 * reason (exit 1); a host without Python nor md5sum still backs up right; wrong password and changed host
 * key exit 3; bad input exits 2 and changes nothing; an encrypted repository without its passphrase (exit 2,
 * naming --repo-password-file) and a read-only one (exit 3) are refused before any snapshot; --full is not
 * called a first backup; the CLI SIGKILLed after its snapshot, run again,
 * removes the orphan and the repository verifies; and the password is never printed.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { watch } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { systemClock, type Scheduler } from "@esxbackup/domain";
import type { HostModel } from "@esxbackup/esxi-simulator";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import { hostLoginFixture } from "./host-login-fixture.js";
import { runCli } from "./repo/cli-test-support.js";

const BIN = fileURLToPath(new URL("../../bin/esxbackup.js", import.meta.url));
const MIB = 1024 * 1024;
const AWKWARD = `db "02" $(touch pwned); \`id\` & [x] 'q' ü`;

function vm(name: string, vmid: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    vmid,
    guestId: "ubuntu64Guest",
    powerState: "poweredOn",
    disks: [{ slot: "scsi0:0", sizeBytes: 8 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 3 * MIB }] }],
    workload: { writesPerSecond: 4, writeSizeBytes: 65536, seed: vmid },
    ...extra,
  };
}

/** The chunk files of a repository (no temporary files). */
async function chunkFiles(folder: string): Promise<Set<string>> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return new Set(entries.filter((e) => e.isFile() && !e.name.includes("tmp")).map((e) => join(e.parentPath, e.name)));
}

interface BackupJson {
  host: string;
  vms: ({ vm: string; point: string; previousPoint: string | null; matchedBy: string | null; counters: { bytesRead: number; chunksDeduplicated: number; bytesTakenOver: number } } | { vm: string; error: string; code: string })[];
  summary: { vmsBackedUp: number; vmsFailed: number; bytesRead: number; seconds: number };
}

for (const flavour of ["full host", "bare host"] as const) {
  describe(`esxbackup backup against a simulated ESXi host (${flavour})`, () => {
    const { work, password, passwordFile, wrongPasswordFile, knownHosts } = hostLoginFixture("esxbackup-backup-");
    let host: SimulatedHost;
    let model: HostModel;
    let common: string[];
    const repo = join(work, "repo");
    const printed: string[] = [];
    const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      const result = await runCli(args);
      printed.push(result.stdout, result.stderr);
      return result;
    };

    before(async () => {
      const config = parseHostConfig(
        {
          name: "esx01",
          esxiVersion: flavour === "bare host" ? "6.7" : "8.0",
          ssh: { port: 0, users: [{ name: "root", password }] },
          ...(flavour === "bare host" ? { shell: { python: false, disabledApplets: ["md5sum"] } } : {}),
          datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1 << 30 }],
          vms: [
            vm("web01", 1),
            vm(AWKWARD, 2),
            vm("with-snapshot", 3, { snapshots: [{ name: "by hand", description: "" }] }),
            vm("quiet", 4, {
              disks: [{ slot: "scsi0:0", sizeBytes: 32 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 24 * MIB }] }],
              workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 4 },
            }),
          ],
        },
        "test",
      );
      host = await SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
      model = host.model as HostModel;
      common = ["backup", "--host", `127.0.0.1:${host.port}`, "--user", "root", "--known-hosts", knownHosts, "--repo", repo];
      assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "256K"])).code, 0);
    });
    after(async () => {
      await host.stop();
      await rm(work, { recursive: true, force: true });
    });

    async function restoredEqualsRecord(point: string, vmid: number): Promise<void> {
      const out = join(work, `restored-${point}.raw`);
      const restored = await cli(["repo", "restore-image", "--repo", repo, point, out]);
      assert.equal(restored.code, 0, restored.stderr);
      const record = model.pointInTimeRecords(vmid).at(-1);
      assert.ok(record?.disks[0]?.image !== undefined);
      assert.ok((await readFile(out)).equals(record.disks[0].image), `point ${point} of vmid ${vmid} equals the disk at its snapshot`);
    }

    it("backs up two VMs in one run (--json); each restores to its disk at the run's snapshot; the next run is incremental", async () => {
      await model.workload(1).waitForWrites(3);
      const first = await cli([...common, "--password-file", passwordFile, "--vm", "web01", "--vm", AWKWARD, "--json", "--tag", "nightly"]);
      assert.equal(first.code, 0, first.stderr);
      const json = JSON.parse(first.stdout) as BackupJson;
      assert.deepEqual(json.vms.map((v) => v.vm), ["web01", AWKWARD]);
      assert.equal(json.summary.vmsBackedUp, 2);
      for (const [index, entry] of json.vms.entries()) {
        assert.ok("point" in entry, JSON.stringify(entry));
        assert.equal(entry.previousPoint, null);
        assert.deepEqual((entry as { warnings?: string[] }).warnings, [], "nothing to warn of");
        await restoredEqualsRecord(entry.point, index + 1);
      }
      assert.match(first.stderr, flavour === "bare host" ? /hashed on the host with busybox, read with dd/u : /read once with python, hashed on the host as it is read \(a first backup\)/u);
      const shown = await cli(["repo", "show", "--repo", repo, (json.vms[0] as { point: string }).point, "--json"]);
      assert.match(shown.stdout, /"nightly"/u);

      await model.workload(1).waitForWrites(model.workload(1).writes + 3);
      const second = await cli([...common, "--password-file", passwordFile, "--vm", "web01", "--json"]);
      assert.equal(second.code, 0, second.stderr);
      const next = (JSON.parse(second.stdout) as BackupJson).vms[0];
      assert.ok(next !== undefined && "point" in next);
      assert.equal(next.previousPoint, (json.vms[0] as { point: string }).point);
      assert.equal(next.matchedBy, "uuid");
      assert.match(second.stderr, flavour === "bare host" ? /hashed on the host with busybox, read with dd/u : /hashed on the host with python, read with python/u);
      // Only blocks the guest wrote between the two snapshots are read (a 64 KiB write touches at most two).
      const records = model.pointInTimeRecords(1);
      const writes = (records.at(-1)?.writesBefore ?? 0) - (records.at(-2)?.writesBefore ?? 0);
      assert.ok(writes > 0);
      assert.ok(next.counters.bytesRead > 0 && next.counters.bytesRead <= writes * 2 * 65536, `incremental read ${next.counters.bytesRead} after ${writes} writes`);
      await restoredEqualsRecord(next.point, 1);
      for (const vmid of [1, 2]) assert.deepEqual(model.inventory().find((v) => v.vmid === vmid)?.snapshots ?? [], []);
    });

    it("a VM with a user snapshot fails alone, with the reason; the others are backed up (exit 1)", async () => {
      const result = await cli([...common, "--password-file", passwordFile, "--vm", "with-snapshot", "--vm", "web01"]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /"with-snapshot": FAILED: VM "with-snapshot" \(vmid 3\) has snapshots not taken by esxbackup: "by hand"/u);
      assert.match(result.stdout, /^\d{8}T\d{9}Z-[0-9a-f]{8} web01$/mu);
      assert.match(result.stderr, /1 VM\(s\) backed up, 1 failed/u);
    });

    it("a running VM on a datastore with less free than --min-datastore-free fails alone, before any snapshot (exit 1)", async () => {
      const snapshotsBefore = model.pointInTimeRecords(1).length;
      const result = await cli([...common, "--password-file", passwordFile, "--vm", "web01", "--min-datastore-free", "99.5%", "--json"]);
      assert.equal(result.code, 1, result.stderr);
      const json = JSON.parse(result.stdout) as BackupJson;
      const entry = json.vms[0];
      assert.ok(entry !== undefined && "error" in entry, result.stdout);
      assert.equal(entry.code, "datastore_space_low");
      assert.match(entry.error, /datastore "datastore1" has \d\.\d GiB free of 1\.0 GiB \(9\d\.\d %\), under the 99\.5 % kept free/u);
      assert.equal(model.pointInTimeRecords(1).length, snapshotsBefore, "no snapshot taken");
    });

    it("a host busy with another task on the VM: the backup says it waits, takes its snapshot on a later try, and succeeds", async () => {
      // Each wait passes as soon as it is registered: no time is spent waiting.
      const passingAtOnce: Scheduler = {
        every(_ms, fn) {
          const handle = setImmediate(fn);
          return () => clearImmediate(handle);
        },
      };
      model.faults.busyWithAnotherTask(1);
      const result = await runCli([...common, "--password-file", passwordFile, "--vm", "web01"], {}, { scheduler: passingAtOnce });
      printed.push(result.stdout, result.stderr);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /"web01": waiting: the host is busy with another task on this VM \(vim\.fault\.TaskInProgress: Another task is already in progress\.\); taking the snapshot again in 15 s \(try 2 of 4\)\n/u);
      assert.match(result.stderr, /"web01": snapshot "esxbackup-run-[^"]+" removed\n/u);
      assert.deepEqual(model.inventory().find((v) => v.vmid === 1)?.snapshots ?? [], []);
    });

    it("--quiesce fails a VM whose guest runs no VMware Tools, with the host's reason; --quiesce-if-possible backs it up crash-consistent, saying so", async () => {
      const strict = await cli([...common, "--password-file", passwordFile, "--vm", "web01", "--quiesce"]);
      assert.equal(strict.code, 1, strict.stderr);
      assert.match(strict.stderr, /"web01": FAILED: .*snapshot.* failed: vim\.fault\.ToolsUnavailable: .*VMware Tools is not running/u);
      const lenient = await cli([...common, "--password-file", passwordFile, "--vm", "web01", "--quiesce-if-possible", "--json"]);
      assert.equal(lenient.code, 0, lenient.stderr);
      assert.match(lenient.stderr, /"web01": WARNING: the host refused a quiesced snapshot \(vim\.fault\.ToolsUnavailable: .*\); taking one without quiescing: the point is crash-consistent/u);
      assert.match(lenient.stderr, /"web01": snapshot "esxbackup-run-[^"]+" taken\n/u);
      const entry = (JSON.parse(lenient.stdout) as BackupJson).vms[0];
      assert.ok(entry !== undefined && "point" in entry);
      assert.equal((entry as { quiesced?: boolean }).quiesced, false);
      const warnings = (entry as { warnings?: string[] }).warnings ?? [];
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0] ?? "", /^the host refused a quiesced snapshot \(vim\.fault\.ToolsUnavailable: .*\): taken without quiescing, the point is crash-consistent$/u);
      await restoredEqualsRecord(entry.point, 1);
      assert.deepEqual(model.inventory().find((v) => v.vmid === 1)?.snapshots ?? [], []);
    });

    it("bad input exits 2 and creates nothing; a VM not on the host fails with exit 1", async () => {
      for (const args of [[], ["--vm", "web01", "--channels", "0"], ["--vm", "web01", "--vm", "web01"], ["--all", "--vm", "web01"], ["--vm", "web01", "--exclude", "quiet"], ["--vm", "web01", "--min-datastore-free", "100%"], ["--vm", "web01", "--quiesce", "--quiesce-if-possible"], ["--vm", ""], ["--all", "--exclude", ""], ["--vm", "web01", "--tag", ""], ["--vm", "web01", "--tag", "a", "--tag", "a"]]) {
        const result = await cli([...common, "--password-file", passwordFile, ...args]);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, /^esxbackup: --(vm|channels|all|exclude|min-datastore-free|quiesce-if-possible|tag)/u);
      }
      const missing = await cli([...common, "--password-file", passwordFile, "--vm", "nope"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no VM named "nope"/u);
    });

    it("a repository that cannot be opened: exit 2 naming it, no snapshot taken, and the process ends (its host session closed)", { timeout: 120_000 }, async () => {
      const missingRepo = join(work, "no-repo-here");
      // Its own process: a session left open keeps the process alive, which an in-process run would not show.
      const withoutRepo = common.slice(0, common.indexOf("--repo"));
      const child = spawn(process.execPath, [BIN, ...withoutRepo, "--repo", missingRepo, "--password-file", passwordFile, "--vm", "web01"], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stdout.resume();
      child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
      const [code] = (await once(child, "exit")) as [number | null];
      printed.push(stderr);
      assert.equal(code, 2, stderr);
      assert.match(stderr, /no-repo-here.*does not exist/u);
      assert.deepEqual(model.inventory().find((v) => v.vmid === 1)?.snapshots ?? [], []);
    });

    it("an encrypted repository without its passphrase, and a read-only one: refused before any snapshot, naming --repo-password-file and the repository", async () => {
      const withoutRepo = common.slice(0, common.indexOf("--repo"));
      const encrypted = join(work, "encrypted");
      const passphraseFile = join(work, "passphrase");
      await writeFile(passphraseFile, "repo secret\n");
      assert.equal((await cli(["repo", "init", "--repo", encrypted, "--encrypt", "--password-file", passphraseFile])).code, 0);
      const snapshotsBefore = model.pointInTimeRecords(1).length;
      const none = await cli([...withoutRepo, "--repo", encrypted, "--password-file", passwordFile, "--vm", "web01"]);
      assert.equal(none.code, 2, none.stderr);
      assert.match(none.stderr, /^esxbackup: passphrase: the repository is encrypted: give --repo-password-file or set ESXBACKUP_PASSWORD\n$/mu);
      const unreadable = await cli([...withoutRepo, "--repo", encrypted, "--repo-password-file", join(work, "no-such-file"), "--password-file", passwordFile, "--vm", "web01"]);
      assert.equal(unreadable.code, 2, unreadable.stderr);
      assert.match(unreadable.stderr, /^esxbackup: --repo-password-file: cannot read \S+no-such-file \(ENOENT\)$/mu);

      const readOnly = join(work, "read-only");
      await mkdir(readOnly);
      execFileSync("mount", ["--bind", repo, readOnly]);
      try {
        execFileSync("mount", ["-o", "remount,bind,ro", readOnly]);
        const loginsBefore = host.loginAttempts.length;
        const result = await cli([...withoutRepo, "--repo", readOnly, "--password-file", passwordFile, "--vm", "web01", "--json"]);
        assert.equal(result.code, 3, result.stderr);
        assert.equal(result.stderr, `esxbackup: the repository is not writable: ${readOnly} (it is on a read-only file system, EROFS)\n`);
        assert.equal(host.loginAttempts.length, loginsBefore, "the host is not even logged in to");
      } finally {
        execFileSync("umount", [readOnly]);
      }
      assert.equal(model.pointInTimeRecords(1).length, snapshotsBefore, "no snapshot taken");
    });

    it("--full on a VM that has points is said to be a full backup, not a first one", async () => {
      const result = await cli([...common, "--password-file", passwordFile, "--vm", "web01", "--full"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^esxbackup: "web01": --full: a full backup, not continued from an earlier point$/mu);
      assert.match(result.stderr, /^"web01": point \S+ \(full backup, --full\): /mu);
      assert.doesNotMatch(result.stderr, /first backup|no earlier point/u);
    });

    it("--all backs up every VM on the host but those --exclude names, and names an exclusion no VM has", async () => {
      const result = await cli([...common, "--password-file", passwordFile, "--all", "--exclude", "with-snapshot", "--exclude", "quiet", "--exclude", "Quiet", "--json"]);
      assert.equal(result.code, 0, result.stderr);
      const json = JSON.parse(result.stdout) as BackupJson & { selection: { all: boolean; excluded: string[]; unknownExclusions: string[] } };
      assert.deepEqual(json.vms.map((v) => v.vm), ["web01", AWKWARD]);
      assert.ok(json.vms.every((v) => "point" in v), result.stdout);
      assert.deepEqual(json.selection.unknownExclusions, ["Quiet"]);
      assert.match(result.stderr, /--exclude "Quiet": the host has no VM of that name/u);
      // "quiet" stays without a point for the kill test below.
      const unexcluded = await cli([...common, "--password-file", passwordFile, "--all", "--exclude", "quiet"]);
      assert.equal(unexcluded.code, 1, "with-snapshot is refused as with --vm");
      assert.match(unexcluded.stderr, /"with-snapshot": FAILED: VM "with-snapshot" \(vmid 3\) has snapshots not taken by esxbackup/u);
      assert.match(unexcluded.stderr, /2 VM\(s\) backed up, 1 failed/u);
    });

    it("the CLI SIGKILLed mid-backup: the next run removes the orphan snapshot, reuses the chunks written, and the repository verifies", async () => {
      const chunks = join(repo, "chunks");
      const child = spawn(process.execPath, [BIN, ...common, "--password-file", passwordFile, "--vm", "quiet", "--flush-every", "256K"], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stdout.resume();
      child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
      // Killed as soon as the run has made a chunk of this VM durable (the only new data in the repository).
      const before = await chunkFiles(chunks);
      // Chunk files appear by rename into their folder (`chunks/ab/<digest>`): the first new one is the moment.
      const watcher = watch(chunks, { recursive: true }, (_event, name) => {
        if (name !== null && /^[0-9a-f]{2}\/[0-9a-f]{64}$/u.test(name) && !before.has(join(chunks, name))) child.kill("SIGKILL");
      });
      try {
        await once(child, "exit");
      } finally {
        watcher.close();
      }
      printed.push(stderr);
      assert.match(stderr, /snapshot "esxbackup-run-[^"]+" taken/u);
      assert.doesNotMatch(stderr, /removed$/mu, "killed before its clean-up");
      const written = (await chunkFiles(chunks)).size - before.size;
      assert.ok(written > 0, "the killed run left chunks");
      assert.ok((model.inventory().find((v) => v.vmid === 4)?.snapshots ?? []).length > 0, "the killed run left its snapshot");
      const again = await cli([...common, "--password-file", passwordFile, "--vm", "quiet", "--json"]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /removed snapshot "esxbackup-run-[^"]+" left by an earlier run/u);
      assert.deepEqual(model.inventory().find((v) => v.vmid === 4)?.snapshots ?? [], []);
      const entry = (JSON.parse(again.stdout) as BackupJson).vms[0];
      assert.ok(entry !== undefined && "counters" in entry, again.stdout);
      // Reused: found in the repository (deduplicated), or taken over when the killed run had published its point.
      const reused = entry.counters.chunksDeduplicated + entry.counters.bytesTakenOver / (256 * 1024);
      assert.ok(reused >= written, `${reused} chunks reused of ${written} written by the killed run`);
      const verified = await cli(["repo", "verify", "--repo", repo]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    });

    it("Ctrl-C (SIGINT) during a backup: exit 130, the run's snapshot removed, no point written", async () => {
      const pointsBefore = (await cli(["repo", "list", "--repo", repo, "--json"])).stdout;
      const child = spawn(process.execPath, [BIN, ...common, "--password-file", passwordFile, "--vm", "quiet", "--full"], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      let interrupted = false;
      child.stdout.resume();
      child.stderr.on("data", (data: Buffer) => {
        stderr += data.toString();
        if (!interrupted && /snapshot "esxbackup-run-[^"]+" taken/u.test(stderr)) {
          interrupted = true;
          child.kill("SIGINT");
        }
      });
      const [code] = (await once(child, "exit")) as [number | null];
      printed.push(stderr);
      assert.equal(code, 130, stderr);
      assert.match(stderr, /snapshot "esxbackup-run-[^"]+" removed/u);
      assert.match(stderr, /^esxbackup: interrupted$/mu);
      assert.deepEqual(model.inventory().find((v) => v.vmid === 4)?.snapshots ?? [], []);
      assert.equal((await cli(["repo", "list", "--repo", repo, "--json"])).stdout, pointsBefore);
    });

    it("a password that stops working part-way is tried once: the VMs left fail with that refusal, and no login follows it", async () => {
      const from = host.loginAttempts.length;
      // The first login (the probe's, kept for the first VM) is the last the host accepts.
      host.faults.loginsLeft = 1;
      try {
        const run = await cli([...common, "--password-file", passwordFile, "--all", "--json"]);
        assert.equal(run.code, 1, run.stderr);
        const json = JSON.parse(run.stdout) as BackupJson;
        const refused = json.vms.filter((v) => "code" in v && v.code === "ssh_auth_failed");
        assert.equal(refused.length, json.vms.length - 1, run.stdout);
        for (const vm of refused) assert.match("error" in vm ? vm.error : "", /login as root refused .*Not tried again: each refused password counts toward the lock$/u);
      } finally {
        host.faults.loginsLeft = null;
      }
      assert.deepEqual(host.loginAttempts.slice(from).map((a) => `${a.method} ${a.outcome}`), ["keyboard-interactive accepted", "keyboard-interactive refused"]);
    });

    it("a wrong password and a changed host key exit 3 with clear messages", async () => {
      const from = host.loginAttempts.length;
      const wrong = await cli([...common, "--password-file", wrongPasswordFile, "--all"]);
      assert.equal(wrong.code, 3);
      assert.match(wrong.stderr, /^esxbackup: 127\.0\.0\.1:\d+: login as root refused .*the password was not accepted/u);
      // One attempt for the whole run, several VMs or not: each refused password counts toward ESXi's lock.
      assert.deepEqual(host.loginAttempts.slice(from).map((a) => `${a.method} ${a.outcome}`), ["keyboard-interactive refused"]);
      await host.rotateHostKey();
      const changed = await cli([...common, "--password-file", passwordFile, "--vm", "web01"]);
      assert.equal(changed.code, 3);
      assert.match(changed.stderr, /HOST KEY CHANGED/u);
    });

    it("never prints the password (every output of every run above)", () => {
      assert.ok(printed.length > 10);
      for (const text of printed) assert.ok(!text.includes(password), "the password was printed");
    });
  });
}
