#!/usr/bin/env node
// Benchmark of the esxbackup repository against restic and borg on the same images; see bench/README.md.
//
//   node bench/repository/run.mjs [--size 4GiB] [--work-dir bench/out] [--only ours,restic,borg,sweep,levels]
//        [--chunk-size SIZE] [--sweep 64K,128K,256K,512K,1M] [--levels 1,2,4,6] [--ours-encryption none,encrypted]
//        [--borg-encryption repokey,none] [--seed S] [--cache cold|warm] [--memory-probe 512MiB|off]
//        [--cli PATH] [--no-build] [--repeat N] [--no-verify] [--keep-repos]
//   node bench/repository/run.mjs --report bench/out/results.json     (print an earlier run's report again)
//
// Order: our main configurations, restic, borg, the memory probe, the chunk-size sweep, the zstd-level sweep.
// Writes results.json
// and results.md to the work dir and prints the same report (progress goes to stderr).
import { execFileSync } from "node:child_process";
import { cpus, totalmem, release } from "node:os";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureTools } from "./ensure-tools.mjs";
import { ensureImages } from "./make-image.mjs";
import { probeCacheDrop } from "./measure.mjs";
import { borgPeer } from "./peers/borg.mjs";
import { esxbackupPeer } from "./peers/esxbackup.mjs";
import { resticPeer } from "./peers/restic.mjs";
import { formatReport } from "./report.mjs";
import { fastestOf, runOursSequence, runPeerSequence } from "./sequence.mjs";
import { parseSize } from "./sizes.mjs";
import { snapshotBuild } from "./snapshot-build.mjs";

const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Not a secret: the benchmark's throw-away repositories all use it.
const PASSWORD = "bench-password";

const { values: opts } = parseArgs({
  options: {
    size: { type: "string", default: "4GiB" },
    "work-dir": { type: "string", default: join(ROOT_DIR, "bench/out") },
    seed: { type: "string", default: "esxbackup-bench-1" },
    only: { type: "string", default: "ours,restic,borg,sweep,levels" },
    "chunk-size": { type: "string" },
    sweep: { type: "string", default: "64K,128K,256K,512K,1M" },
    levels: { type: "string", default: "1,2,4,6" },
    "ours-encryption": { type: "string", default: "none,encrypted" },
    "borg-encryption": { type: "string", default: "repokey,none" },
    "no-verify": { type: "boolean", default: false },
    "keep-repos": { type: "boolean", default: false },
    cache: { type: "string", default: "cold" },
    "memory-probe": { type: "string", default: "512MiB" },
    cli: { type: "string" },
    "no-build": { type: "boolean", default: false },
    repeat: { type: "string", default: "1" },
    report: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log("usage: node bench/repository/run.mjs [--size 4GiB] [--work-dir DIR] [--only ours,restic,borg,sweep,levels] [--chunk-size SIZE]\n" +
    "       [--sweep 64K,128K,256K,512K,1M] [--levels 1,2,4,6] [--ours-encryption none,encrypted] [--borg-encryption repokey,none]\n" +
    "       [--seed S] [--cache cold|warm] [--memory-probe 512MiB|off] [--cli PATH] [--no-build] [--repeat N] [--no-verify] [--keep-repos]\n" +
    "       node bench/repository/run.mjs --report results.json   (print the report of an earlier run again)");
  process.exit(0);
}

if (opts.report) {
  console.log(formatReport(JSON.parse(readFileSync(opts.report, "utf8"))));
  process.exit(0);
}

const list = (text) => text.split(",").map((x) => x.trim()).filter(Boolean);
const only = new Set(list(opts.only));
const sizeBytes = parseSize(opts.size);
const repeat = Math.max(1, Number.parseInt(opts.repeat, 10) || 1);
const workDir = resolve(opts["work-dir"]);
const reposDir = join(workDir, "repos");
const startedAt = new Date();
const log = (msg) => console.error(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

ensureTools({ wantPeers: only.has("restic") || only.has("borg") }, log);
mkdirSync(reposDir, { recursive: true });
const images = ensureImages(workDir, opts.seed, sizeBytes, log);
// cold (default): drop the page cache before every timed run, as after a reboot; the disk's read speed then
// counts for everyone. warm: read the inputs beforehand instead, which measures processing alone.
const cacheMode = opts.cache === "warm" ? { cold: false, reason: "--cache warm" } : probeCacheDrop();
if (!cacheMode.cold && opts.cache !== "warm") log(`cannot drop the page cache (${cacheMode.reason}): runs will start warm instead`);

// Our CLI: built (tsc -b is incremental) and frozen into the work dir, unless --cli names one to use as is.
let cliPath = opts.cli && resolve(opts.cli);
if (!cliPath && (only.has("ours") || only.has("sweep") || only.has("levels"))) {
  if (!opts["no-build"]) {
    log("building packages/cli (tsc -b) ...");
    try {
      execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: ROOT_DIR, stdio: ["ignore", "inherit", "inherit"] });
    } catch {
      log("build failed: measuring the dist/ already there");
    }
  }
  cliPath = snapshotBuild(ROOT_DIR, join(workDir, "build"));
}
const ours = (encrypted, chunkSize, compressionLevel) =>
  esxbackupPeer({ rootDir: ROOT_DIR, cliPath, password: PASSWORD, encrypted, chunkSize, compressionLevel });
const peers = [];
if (only.has("restic")) peers.push(resticPeer({ cacheDir: join(workDir, "cache/restic"), password: PASSWORD }));
if (only.has("borg")) {
  for (const e of list(opts["borg-encryption"])) {
    peers.push(borgPeer({ baseDir: join(workDir, "cache/borg"), password: PASSWORD, encrypted: e !== "none" }));
  }
}

const versions = cliPath ? [ours(false).version()] : [];
const rows = [];
const sweepRows = [];
const levelRows = [];
const checks = [];
const repoDirFor = (label) => join(reposDir, label.replace(/[^a-z0-9]+/gi, "-"));
const finish = (dir) => {
  if (!opts["keep-repos"]) rmSync(dir, { recursive: true, force: true });
};

if (only.has("ours")) {
  for (const e of list(opts["ours-encryption"])) {
    const peer = ours(e !== "none", opts["chunk-size"]);
    const repoDir = repoDirFor(`esxbackup-${peer.settings}`);
    let result;
    rows.push(
      ...fastestOf(repeat, (i) => {
        const r = runOursSequence(peer, { repoDir, images, cacheMode, verify: !opts["no-verify"] && i === 0, log });
        result ??= r;
        return r.rows;
      }),
    );
    checks.push(...result.checks.map((c) => ({ ...c, label: `esxbackup (${peer.settings}) ${c.repoDir.endsWith("-rehash") ? "after re-read incremental" : "after changes-known incremental"}` })));
    finish(repoDir);
  }
}
for (const peer of peers) {
  versions.push(peer.version());
  const repoDir = repoDirFor(`${peer.id}-${peer.settings}`);
  rows.push(...fastestOf(repeat, () => runPeerSequence(peer, { repoDir, images, cacheMode, log })));
  finish(repoDir);
}
// Peak memory must not grow with the disk: the same backups of a smaller image of the same mix, compared.
const probeRows = [];
let probeBytes = 0;
if (only.has("ours") && opts["memory-probe"] !== "off") {
  probeBytes = parseSize(opts["memory-probe"]);
  const probeDir = join(workDir, `probe-${probeBytes}`);
  mkdirSync(probeDir, { recursive: true });
  const probeImages = ensureImages(probeDir, opts.seed, probeBytes, log);
  const peer = ours(false, opts["chunk-size"]);
  const repoDir = repoDirFor(`probe-${peer.settings}`);
  log(`memory probe on a ${opts["memory-probe"]} image:`);
  probeRows.push(...fastestOf(repeat, () => runOursSequence(peer, { repoDir, images: probeImages, cacheMode, verify: false, log }).rows));
  finish(repoDir);
}
if (only.has("sweep")) {
  for (const chunkSize of list(opts.sweep)) {
    const peer = ours(false, chunkSize);
    const repoDir = repoDirFor(`sweep-${chunkSize}`);
    sweepRows.push(...fastestOf(repeat, () => runOursSequence(peer, { repoDir, images, cacheMode, verify: false, log }).rows));
    finish(repoDir);
  }
}

// The zstd level trades backup time for repository size: first backups only (the incrementals store too
// little for the level to matter), unencrypted, the default chunk size.
if (only.has("levels")) {
  for (const level of list(opts.levels)) {
    const peer = ours(false, opts["chunk-size"], level);
    const repoDir = repoDirFor(`levels-${level}`);
    levelRows.push(...fastestOf(repeat, () => runOursSequence(peer, { repoDir, images, cacheMode, verify: false, steps: [], log }).rows));
    finish(repoDir);
  }
}

function othersShare(all) {
  const wall = all.reduce((sum, r) => sum + r.wallS, 0);
  const others = all.reduce((sum, r) => sum + r.othersCpuS, 0);
  return wall > 0 ? others / (wall * cpus().length) : 0;
}

const meta = {
  startedAt: startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
  command: `node bench/repository/run.mjs ${process.argv.slice(2).join(" ")}`.trim(),
  images,
  machine: `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`,
  versions: [...new Set(versions)],
  cacheMode,
  repeat,
  // Share of the machine that other processes took during our timed runs (0 = we had it to ourselves).
  othersShare: othersShare([...rows, ...probeRows, ...sweepRows, ...levelRows]),
  cores: cpus().length,
  sizeBytes,
  probeBytes,
};
const results = { meta, rows, probeRows, sweepRows, levelRows, checks };
const report = formatReport(results);

writeFileSync(join(workDir, "results.md"), report);
writeFileSync(join(workDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
console.log(report);
log(`done; report in ${join(workDir, "results.md")}`);
