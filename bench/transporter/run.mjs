#!/usr/bin/env node
// The transporter against the tools a user would reach for, over SSH from one simulated ESXi host; see
// bench/README.md ("transporter/").
//
//   node bench/transporter/run.mjs [--size 4GiB] [--changed-percent 1] [--load-writes-per-second 1]
//        [--channels N] [--only ssh,restic,ours,rsync,restore,verify,upload] [--cache cold|warm] [--work-dir DIR]
//        [--seed S] [--host-cpu 0] [--receiver-cpu 1] [--step-timeout 3600] [--cli PATH] [--no-build] [--keep]
//   node bench/transporter/run.mjs --report bench/out/transporter/results.json   (print a run's report again)
//
// One run: the simulated host (simulated-host.mjs) starts pinned to --host-cpu with the mixed image as its
// VM's disk and the guest writing lightly; every receiving command runs pinned to --receiver-cpu under GNU
// time. In order:
//   1. ours, full:     esxbackup backup (its own snapshot)
//   2. ssh cat:        snapshot; ssh host cat <base flat> > copy.img
//      restic:         ssh host cat <base flat> | restic backup --stdin; snapshot removed
//   3. the guest rewrites --changed-percent of its 64 KiB blocks
//   4. ours, incremental
//   5. rsync:          snapshot; rsync --inplace --no-whole-file host:<base flat> copy.img; snapshot removed
//   6. ours, restore:  esxbackup restore --to-host (the incremental's point, as a new VM)
//      ours, verify:   the same restore with --verify, as another new VM (the host fingerprints its disk)
//      ssh upload:     ssh host 'cat > <datastore>/upload.img' < base.img
// Bytes on the wire are counted by the simulated host's SSH server (SimulatedHost.sshWireBytes), the same
// meter for every tool. Writes results.json and results.md to the work dir and prints the report; the run's
// own folder (host state, repositories, copies) is removed at the end, whatever happened, unless --keep.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureTools } from "../repository/ensure-tools.mjs";
import { CHANGE_BLOCK_BYTES, ensureImages } from "../repository/make-image.mjs";
import { CommandFailedError, measure, prepareCache, probeCacheDrop, run } from "../repository/measure.mjs";
import { cliCommand, parseLastJson } from "../repository/peers/esxbackup.mjs";
import { resticPeer } from "../repository/peers/restic.mjs";
import { parseSize } from "../repository/sizes.mjs";
import { snapshotBuild } from "../repository/snapshot-build.mjs";
import { processTreeUse } from "./process-tree.mjs";
import { formatReport } from "./report.mjs";
import { BENCH_VM_NAME, sha256OfFile } from "./simulated-host.mjs";

const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const HOST_SCRIPT = fileURLToPath(new URL("./simulated-host.mjs", import.meta.url));
// Not secrets: a throw-away simulated host and throw-away repositories.
const HOST_PASSWORD = "bench-host-password";
const REPO_PASSWORD = "bench-password";
const STEPS = ["ssh", "restic", "ours", "rsync", "restore", "verify", "upload"];
// The cipher ours negotiates with ESXi 8 (bench/ssh-session); OpenSSH's default there is aes128-ctr + HMAC,
// about 30 % slower, which would flatter us.
const OPENSSH_CIPHER = "aes128-gcm@openssh.com";

const OPTIONS = {
  options: {
    size: { type: "string", default: "4GiB" },
    "changed-percent": { type: "string", default: "1" },
    "load-writes-per-second": { type: "string", default: "1" },
    channels: { type: "string" },
    only: { type: "string", default: STEPS.join(",") },
    cache: { type: "string", default: "cold" },
    "work-dir": { type: "string", default: join(ROOT_DIR, "bench/out/transporter") },
    seed: { type: "string", default: "esxbackup-bench-1" },
    "host-cpu": { type: "string", default: "0" },
    "receiver-cpu": { type: "string", default: "1" },
    cli: { type: "string" },
    "no-build": { type: "boolean", default: false },
    "step-timeout": { type: "string", default: "3600" },
    keep: { type: "boolean", default: false },
    report: { type: "string" },
    help: { type: "boolean", default: false },
  },
};
let opts;
try {
  opts = parseArgs(OPTIONS).values;
} catch (error) {
  console.error(`bench/transporter: ${error.message} (--help lists the options)`);
  process.exit(2);
}

if (opts.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 8).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(0);
}
if (opts.report) {
  console.log(formatReport(JSON.parse(readFileSync(opts.report, "utf8"))));
  process.exit(0);
}

const startedAt = new Date();
const log = (msg) => console.error(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const fail = (msg) => {
  console.error(`bench/transporter: ${msg}`);
  process.exit(2);
};

// --- options ----------------------------------------------------------------------------------------------
let sizeBytes;
try {
  sizeBytes = parseSize(opts.size);
} catch (error) {
  fail(`--size: ${error.message}`);
}
if (sizeBytes % (1024 * 1024) !== 0) fail(`--size: ${opts.size} must be a multiple of 1 MiB (a VM disk's size)`);
const changedPercent = Number(opts["changed-percent"]);
if (!(changedPercent > 0 && changedPercent <= 100)) fail(`--changed-percent: ${opts["changed-percent"]} must be a number above 0 and at most 100`);
const loadWritesPerSecond = Number(opts["load-writes-per-second"]);
if (!(loadWritesPerSecond >= 0 && loadWritesPerSecond <= 1000)) fail(`--load-writes-per-second: ${opts["load-writes-per-second"]} must be a number from 0 to 1000`);
if (opts.channels !== undefined && !/^[1-9]\d*$/.test(opts.channels)) fail(`--channels: ${opts.channels} must be a positive whole number`);
const stepTimeoutS = Number(opts["step-timeout"]);
if (!(Number.isInteger(stepTimeoutS) && stepTimeoutS > 0)) fail(`--step-timeout: ${opts["step-timeout"]} must be a whole number of seconds`);
if (opts.cache !== "cold" && opts.cache !== "warm") fail(`--cache: ${opts.cache} must be cold or warm`);
const only = new Set(opts.only.split(",").map((s) => s.trim()).filter(Boolean));
for (const step of only) if (!STEPS.includes(step)) fail(`--only: unknown step ${JSON.stringify(step)} (known: ${STEPS.join(", ")})`);
const cores = cpus().length;
const hostCpu = Number(opts["host-cpu"]);
const receiverCpu = Number(opts["receiver-cpu"]);
for (const [name, cpu] of [["--host-cpu", hostCpu], ["--receiver-cpu", receiverCpu]]) {
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cores) fail(`${name}: must be a CPU number from 0 to ${cores - 1}`);
}
if (hostCpu === receiverCpu) fail("--host-cpu and --receiver-cpu must differ: the two sides stand for two machines");

// --- tools ------------------------------------------------------------------------------------------------
try {
  ensureTools({ wantPeers: only.has("restic") || only.has("rsync"), also: ["simulator"] }, log);
} catch (error) {
  fail(error.message);
}
if (spawnSync("taskset", ["-c", String(hostCpu), "true"]).status !== 0) fail("taskset (util-linux) is missing or cannot pin to the chosen CPUs");

const workDir = resolve(opts["work-dir"]);
mkdirSync(workDir, { recursive: true });
// One folder per size: a 4 GiB pair is not rewritten for a smoke run.
const imagesDir = join(workDir, "images", String(sizeBytes));
mkdirSync(imagesDir, { recursive: true });
let images;
try {
  images = ensureImages(imagesDir, opts.seed, sizeBytes, log);
} catch (error) {
  fail(`cannot make the images in ${imagesDir}: ${error.message}`);
}
const cacheMode = opts.cache === "warm" ? { cold: false, reason: "--cache warm" } : probeCacheDrop();
if (!cacheMode.cold && opts.cache !== "warm") log(`cannot drop the page cache (${cacheMode.reason}): runs will start warm instead`);

let cliPath = opts.cli && resolve(opts.cli);
if (!cliPath) {
  if (!opts["no-build"]) {
    log("building packages/cli (tsc -b) ...");
    const built = spawnSync("npx", ["tsc", "-b", "packages/cli"], { cwd: ROOT_DIR, stdio: ["ignore", "inherit", "inherit"] });
    if (built.status !== 0) log("build failed: measuring the dist/ already there");
  }
  cliPath = snapshotBuild(ROOT_DIR, join(workDir, "build"));
}
// The CLI's own packages (a frozen build, or the ones beside --cli): the host runs this simulator.
const packagesDir = resolve(dirname(cliPath), "../..");
const simulatorModule = join(packagesDir, "esxi-simulator/dist/index.js");
if (!existsSync(simulatorModule)) fail(`${simulatorModule} not found: build the packages (npx tsc -b) or give --cli of a built checkout`);

// --- the run ----------------------------------------------------------------------------------------------
const runDir = mkdtempSync(join(workDir, "run-"));
const paths = {
  state: join(runDir, "host"),
  hostPassword: join(runDir, "host-password"),
  knownHosts: join(runDir, "known_hosts"),
  opensshKnownHosts: join(runDir, "openssh_known_hosts"),
  oursRepo: join(runDir, "repo-esxbackup"),
  resticRepo: join(runDir, "repo-restic"),
  resticCache: join(runDir, "restic-cache"),
  copy: join(runDir, "copy.img"),
};
writeFileSync(paths.hostPassword, HOST_PASSWORD + "\n");
chmodSync(paths.hostPassword, 0o600);

let host; // { child, ready, request(op, args) }
let cleaning;
async function cleanUp() {
  cleaning ??= (async () => {
    if (host !== undefined && host.child.exitCode === null && host.child.signalCode === null) {
      const exited = new Promise((r) => host.child.once("exit", r));
      host.child.kill("SIGTERM");
      const killer = setTimeout(() => host.child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(killer);
    }
    if (opts.keep) log(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    interrupted = true;
    log(`${signal}: stopping the simulated host and removing ${runDir}`);
    void cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

function startHost() {
  const child = spawn("taskset", ["-c", String(hostCpu), process.execPath, HOST_SCRIPT, JSON.stringify({ simulatorModule, stateDir: paths.state, imagePath: images.basePath, sizeBytes, seed: opts.seed, loadWritesPerSecond })], {
    env: { ...process.env, ESXBACKUP_BENCH_HOST_PASSWORD: HOST_PASSWORD },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map();
  let nextId = 1;
  const ready = new Promise((resolveReady, rejectReady) => {
    child.on("message", (m) => {
      if (m.ready) return resolveReady(m);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(`simulated host: ${m.error}`));
      else p?.resolve(m.result);
    });
    child.once("exit", (code, signal) => {
      const error = new Error(`the simulated host exited (${signal ?? code}); see its messages above`);
      rejectReady(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  });
  // A host that went away (killed, or stopped by Ctrl-C with us) fails every request instead of crashing us.
  child.on("error", (error) => log(`simulated host: ${error.message}`));
  const gone = () => child.exitCode !== null || child.signalCode !== null || !child.connected;
  const request = (op, args = {}) =>
    new Promise((resolveRequest, rejectRequest) => {
      if (gone()) return rejectRequest(new Error(`the simulated host is gone; cannot ${op}`));
      const id = nextId++;
      pending.set(id, { resolve: resolveRequest, reject: rejectRequest });
      child.send({ ...args, id, op }, (error) => {
        if (error && pending.delete(id)) rejectRequest(new Error(`the simulated host is gone; cannot ${op} (${error.message})`));
      });
    });
  return { child, ready, request, gone };
}

/** Quotes one word for the host's shell (the peers' remote commands; the paths are ours). */
const q = (word) => `'${String(word).replaceAll("'", "'\\''")}'`;

async function main() {
  log(`starting the simulated host on CPU ${hostCpu} (${opts.size} disk, guest writing ${loadWritesPerSecond}/s) ...`);
  host = startHost();
  const ready = await host.ready;
  const target = `127.0.0.1:${ready.port}`;
  log(`host ready at ${target}; VM ${ready.vmName}, base extent ${ready.flatSandboxPath}`);

  const ssh = ["sshpass", "-f", paths.hostPassword, "ssh", "-p", String(ready.port), "-o", "StrictHostKeyChecking=accept-new", "-o", `UserKnownHostsFile=${paths.opensshKnownHosts}`, "-o", `Ciphers=${OPENSSH_CIPHER}`, "-o", "LogLevel=ERROR", "root@127.0.0.1"];
  const cli = cliCommand(cliPath);
  const login = ["--user", "root", "--password-file", paths.hostPassword, "--known-hosts", paths.knownHosts];
  const restic = resticPeer({ cacheDir: paths.resticCache, password: REPO_PASSWORD });
  const versions = [
    versionOf(() => `esxbackup ${run(["git", "-C", ROOT_DIR, "describe", "--always", "--dirty"])}`, "esxbackup"),
    versionOf(() => spawnSync("ssh", ["-V"], { encoding: "utf8" }).stderr.split(",")[0], "OpenSSH"),
  ];
  if (only.has("restic")) versions.push(versionOf(restic.version, "restic"));
  if (only.has("rsync")) versions.push(versionOf(() => run(["rsync", "--version"]).split("\n")[0].replace(/\s+version\s+(\S+).*/, " $1"), "rsync"));

  const rows = [];
  /** One timed command on the receiving side; host CPU and wire bytes metered around it. */
  async function step(key, label, script, args, { env = {}, hostInputs = false } = {}) {
    const before = await host.request("status");
    prepareCache(cacheMode, hostInputs ? [before.flatDataPath] : []);
    const hostBefore = processTreeUse(host.child.pid);
    log(`${label} ...`);
    const startedS = Date.now() / 1000;
    // A step that hangs is stopped (exit 124, reported) rather than holding the run forever.
    const m = measure(["timeout", "-k", "30", String(stepTimeoutS), "taskset", "-c", String(receiverCpu), "bash", "-c", `set -o pipefail; ${script}`, "bash", ...args], { env });
    const hostAfter = processTreeUse(host.child.pid);
    const hostCpuS = hostAfter.cpuS - hostBefore.cpuS;
    const after = await host.request("status");
    const row = {
      key,
      label,
      wallS: m.wallS,
      cpuS: m.cpuS,
      hostCpuS,
      hostReadBytes: hostAfter.readBytes - hostBefore.readBytes,
      maxRssBytes: m.maxRssBytes,
      wireSentBytes: after.wire.sentBytes - before.wire.sentBytes,
      wireReceivedBytes: after.wire.receivedBytes - before.wire.receivedBytes,
      othersCpuS: Math.max(0, m.othersCpuS - hostCpuS),
      snapshots: after.snapshots.filter((s) => !before.snapshots.some((b) => b.name === s.name && b.takenAt === s.takenAt)),
      stdout: m.stdout,
      timeline: timeline(m.stderr, startedS, m.wallS),
    };
    rows.push(row);
    log(`${label}: ${row.wallS.toFixed(2)} s, ${((row.wireSentBytes + row.wireReceivedBytes) / 1e6).toFixed(1)} MB on the wire`);
    return row;
  }

  const jsonOutput = (key) => join(runDir, `${key}.json`);
  // A step that fails is reported (and the steps that need it skipped); the others still run.
  const failures = [];
  const done = new Set();
  async function attempt(key, label, needs, fn) {
    const missing = needs.filter((k) => !done.has(k));
    if (missing.length > 0) {
      failures.push({ key, label, error: `skipped: needs ${missing.join(", ")}, which did not run or failed` });
      return;
    }
    try {
      await fn();
      done.add(key);
    } catch (error) {
      // Ctrl-C, or the host gone: no further steps. The signal handler runs only once the event loop turns
      // (a command that ended by SIGINT/SIGTERM says it first: GNU time exits 128 + signal), and Ctrl-C also
      // stops the simulated host, which may make our command fail some other way.
      const bySignal = error instanceof CommandFailedError && (error.status === null || error.status === 130 || error.status === 143);
      if (interrupted || bySignal || host.gone()) throw error;
      const json = existsSync(jsonOutput(key)) ? readFileSync(jsonOutput(key), "utf8") : "";
      const errors = [...json.matchAll(/"error": (".*")/g)].map((m) => JSON.parse(m[1]));
      const text =
        error instanceof CommandFailedError
          ? `exited with ${error.status}${error.status === 124 ? ` (stopped after --step-timeout ${stepTimeoutS} s)` : ""}${errors.length > 0 ? `: ${errors.join("; ")}` : ""}; stderr: ${error.message.slice(error.message.indexOf(": ", error.message.lastIndexOf(" exited with ")) + 2).trim().slice(-600)}`
          : error.message;
      failures.push({ key, label, error: text });
      log(`${label} FAILED: ${text}`);
    }
  }

  const points = {};
  // --json output goes to a file, so that a failed backup's errors can be reported.
  // Each line our CLI logs (snapshot taken, hashed, read, removed) is stamped as it comes: where the wall
  // time goes.
  const oursBackup = (key, label) =>
    step(key, label, `out=$1; shift; "$@" > "$out" 2> >(${STAMP_LINES}) && sync; status=$?; wait $!; exit $status`, [jsonOutput(key), ...cli, "backup", "--host", target, ...login, "--vm", BENCH_VM_NAME, "--repo", paths.oursRepo, ...(opts.channels ? ["--channels", opts.channels] : []), "--json"], { hostInputs: true });
  const readFlat = `cat ${q(ready.flatSandboxPath)}`;

  if (only.has("ours")) {
    await attempt("ours-full", "esxbackup backup (full)", [], async () => {
      run([...cli, "hosts", "trust", "--host", target, ...login]);
      run([...cli, "repo", "init", "--repo", paths.oursRepo]);
      const row = await oursBackup("ours-full", "esxbackup backup (full)");
      points.full = pointOf(readFileSync(jsonOutput("ours-full"), "utf8"));
      row.summary = parseLastJson(readFileSync(jsonOutput("ours-full"), "utf8")).summary;
    });
  }

  if (only.has("ssh") || only.has("restic") || only.has("rsync")) {
    await attempt("peers-snapshot", "snapshot for ssh cat and restic", [], () => host.request("snapshot", { name: "bench-peers-full" }));
    try {
      if (only.has("ssh") || only.has("rsync")) {
        await attempt("ssh-cat", "ssh host cat <flat> > file", ["peers-snapshot"], () => step("ssh-cat", "ssh host cat <flat> > file", 'out=$1; shift; "$@" > "$out" && sync', [paths.copy, ...ssh, readFlat], { hostInputs: true }));
      }
      if (only.has("restic")) {
        await attempt("restic", "ssh host cat <flat> | restic backup --stdin", ["peers-snapshot"], async () => {
          const init = restic.init(paths.resticRepo);
          run(init.argv, { env: init.env });
          await step("restic", "ssh host cat <flat> | restic backup --stdin", 'repo=$1; shift; "$@" | restic --repo "$repo" backup --quiet --host bench --stdin --stdin-filename bench-vm-flat.vmdk && sync', [paths.resticRepo, ...ssh, readFlat], { env: init.env, hostInputs: true });
        });
      }
    } finally {
      await host.request("remove-snapshots");
    }
  }

  const changeBlocks = Math.max(1, Math.round(((sizeBytes / CHANGE_BLOCK_BYTES) * changedPercent) / 100));
  log(`the guest rewrites ${changeBlocks} blocks of 64 KiB (${changedPercent} %) ...`);
  const change = await host.request("change", { blocks: changeBlocks });
  const changedBlocks = await host.request("blocks-written", change);

  if (only.has("ours")) {
    await attempt("ours-incr", "esxbackup backup (incremental)", ["ours-full"], async () => {
      const row = await oursBackup("ours-incr", "esxbackup backup (incremental)");
      points.incr = pointOf(readFileSync(jsonOutput("ours-incr"), "utf8"));
      row.summary = parseLastJson(readFileSync(jsonOutput("ours-incr"), "utf8")).summary;
    });
  }
  if (only.has("rsync")) {
    await attempt("rsync", "rsync --inplace --no-whole-file", ["ssh-cat"], async () => {
      await host.request("snapshot", { name: "bench-peers-incr" });
      try {
        const r = await step("rsync", "rsync --inplace --no-whole-file", 'out=$1; shift; rsync --inplace --no-whole-file --stats --rsync-path=/usr/bin/rsync -e "$*" root@127.0.0.1:"$REMOTE" "$out"', [paths.copy, ...ssh.slice(0, -1)], { env: { REMOTE: ready.flatSandboxPath }, hostInputs: true });
        r.rsyncStats = parseRsyncStats(r.stdout);
      } finally {
        await host.request("remove-snapshots");
      }
    });
  }
  // The guest's distinct 64 KiB blocks between the two snapshots each incremental compared.
  const status = await host.request("status");
  const windows = {};
  const between = async (from, to) => (from && to ? host.request("blocks-written", { after: from.writesBefore, upTo: to.writesBefore }) : undefined);
  const snapshotOf = (key) => rows.find((r) => r.key === key)?.snapshots[0];
  windows.ours = await between(snapshotOf("ours-full"), snapshotOf("ours-incr"));
  const peersSnapshot = (name) => status.snapshots.filter((s) => s.name === name).at(-1);
  windows.rsync = await between(peersSnapshot("bench-peers-full"), peersSnapshot("bench-peers-incr"));

  if (only.has("restore")) {
    await attempt("restore", "esxbackup restore --to-host (new VM)", ["ours-incr"], () =>
      step("restore", "esxbackup restore --to-host (new VM)", '"$@"', [...cli, "restore", "--repo", paths.oursRepo, "--point", points.incr, "--to-host", target, ...login, "--name", `${BENCH_VM_NAME}-restored`, "--datastore", ready.datastore, ...(opts.channels ? ["--channels", opts.channels] : []), "--json"]),
    );
  }
  if (only.has("verify")) {
    await attempt("verify", "esxbackup restore --to-host --verify (new VM)", ["ours-incr"], () =>
      step("verify", "esxbackup restore --to-host --verify (new VM)", '"$@"', [...cli, "restore", "--repo", paths.oursRepo, "--point", points.incr, "--to-host", target, ...login, "--name", `${BENCH_VM_NAME}-verified`, "--datastore", ready.datastore, ...(opts.channels ? ["--channels", opts.channels] : []), "--verify", "--json"]),
    );
  }
  if (only.has("upload")) {
    const upload = `${ready.datastoreSandboxPath}/bench-upload.img`;
    await attempt("upload", "ssh host 'cat > file' < image", [], async () => {
      await step("upload", "ssh host 'cat > file' < image", 'in=$1; shift; "$@" < "$in"', [images.basePath, ...ssh, `cat > ${q(upload)}`]);
      run([...ssh, `rm -f ${q(upload)}`]);
    });
  }

  // Untimed checks that the runs moved the right bytes: rsync's copy is the snapshot it read, and the
  // restored VM's disk is the incremental's snapshot.
  const checks = [];
  const check = async (label, expected, actual) => {
    const [e, a] = await Promise.all([expected, actual]);
    checks.push({ label, ok: e === a });
    log(`check: ${label}: ${e === a ? "equal" : `DIFFERENT (${a} != ${e})`}`);
  };
  const bySnapshot = (snapshot) => host.request("snapshot-sha256", snapshot);
  if (done.has("rsync")) await check("rsync's copy equals the snapshot it read", bySnapshot(peersSnapshot("bench-peers-incr")), sha256OfFile(paths.copy));
  if (done.has("restore")) await check("the restored VM's disk equals the incremental's snapshot", bySnapshot(snapshotOf("ours-incr")), host.request("disk-sha256", { vmName: `${BENCH_VM_NAME}-restored` }));
  if (done.has("verify")) await check("the VM restored with --verify equals the incremental's snapshot", bySnapshot(snapshotOf("ours-incr")), host.request("disk-sha256", { vmName: `${BENCH_VM_NAME}-verified` }));

  const final = await host.request("status");
  const meta = {
    startedAt: startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
    command: `node bench/transporter/run.mjs ${process.argv.slice(2).join(" ")}`.trim(),
    sizeBytes,
    images: { seed: images.seed, composition: images.composition },
    changeBlocks,
    changedBlocks,
    windows,
    loadWritesPerSecond,
    guestWrites: final.writes,
    guestFailedWrites: final.failedWrites,
    machine: `${cpus()[0]?.model ?? "?"}, ${cores} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`,
    cpus: { host: hostCpu, receiver: receiverCpu },
    cacheMode,
    cipher: OPENSSH_CIPHER,
    versions,
  };
  const results = { meta, rows: rows.map(({ stdout: _stdout, ...r }) => r), checks, failures };
  const report = formatReport(results);
  writeFileSync(join(workDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(workDir, "results.md"), report);
  console.log(report);
  log(`done; report in ${join(workDir, "results.md")}`);
  if (failures.some((f) => !f.error.startsWith("skipped")) || checks.some((c) => !c.ok)) process.exitCode = 1;
}

/** A bash filter that prefixes each line with the wall clock (seconds since the epoch, microseconds). */
const STAMP_LINES = 'while IFS= read -r line; do printf "%s %s\\n" "$EPOCHREALTIME" "$line"; done >&2';

/** Pure: stamped stderr lines as [{ atS (since the step started), line }], closed by the step's end. */
export function timeline(stderr, startedS, wallS) {
  const events = [];
  for (const text of stderr.split("\n")) {
    const m = /^(\d+\.\d+) (.*)$/.exec(text);
    if (m) events.push({ atS: Math.max(0, Number(m[1]) - startedS), line: m[2] });
  }
  return events.length === 0 ? undefined : [...events, { atS: wallS, line: "(exited)" }];
}

function versionOf(fn, fallback) {
  try {
    return fn().trim();
  } catch {
    return fallback;
  }
}

/** The point id in our CLI's --json output: `point` at the top, or in the one VM's entry. */
function pointOf(stdout) {
  const json = parseLastJson(stdout);
  const found = (value) => {
    if (value === null || typeof value !== "object") return undefined;
    if (typeof value.point === "string") return value.point;
    for (const v of Array.isArray(value) ? value : Object.values(value)) {
      const p = found(v);
      if (p !== undefined) return p;
    }
    return undefined;
  };
  const point = found(json);
  if (point === undefined) throw new Error(`no point id in esxbackup's --json output: ${stdout.slice(0, 500)}`);
  return point;
}

/** Pure: rsync's --stats figures that matter here (bytes it sent and received through its remote shell). */
export function parseRsyncStats(text) {
  const num = (label) => {
    const m = new RegExp(`${label}: ([\\d,.]+)`).exec(text);
    return m ? Number(m[1].replaceAll(",", "")) : undefined;
  };
  return { sentBytes: num("Total bytes sent"), receivedBytes: num("Total bytes received"), literalBytes: num("Literal data"), matchedBytes: num("Matched data") };
}

try {
  await main();
} catch (error) {
  console.error(`bench/transporter: ${error.message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
