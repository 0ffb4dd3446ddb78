// One tool's backup sequence on the two images, each step timed and sized.
//
// restic and borg: init, first backup of base.img, incremental of changed.img (both re-read and re-chunk the
// whole file: a changed file gets no shortcut from their file caches).
// esxbackup: init, first backup, then the repository is copied so that both incrementals start from the same
// state — `incr-known` (--previous + --changed-list: what change tracking gives the transporter) on one copy,
// `incr-rehash` (--previous only: read and hash everything) on the other.
//
// Each timed command runs as `sh -c 'cmd && sync'`, so data a tool left in the page cache is paid for in its
// own wall time, not in the next run's.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { duBytes, measure, prepareCache, run } from "./measure.mjs";

const DISK_NAME = "bench-disk";

function timed(cmd, { repoDir, inputs, cacheMode }) {
  const before = duBytes(repoDir);
  prepareCache(cacheMode, inputs);
  const m = measure(["sh", "-c", '"$@" && sync', "sh", ...cmd.argv], cmd);
  const after = duBytes(repoDir);
  return {
    ...m,
    growthBytes: after.apparentBytes - before.apparentBytes,
    allocatedGrowthBytes: after.allocatedBytes - before.allocatedBytes,
    repoBytes: after.apparentBytes,
  };
}

function row(peer, step, m, extra = {}) {
  return {
    tool: peer.id,
    settings: peer.settings,
    encrypted: peer.encrypted,
    chunkSize: peer.chunkSize ?? null,
    compressionLevel: peer.compressionLevel ?? null,
    step,
    wallS: m.wallS,
    userS: m.userS,
    sysS: m.sysS,
    cpuS: m.cpuS,
    maxRssBytes: m.maxRssBytes,
    growthBytes: m.growthBytes,
    allocatedGrowthBytes: m.allocatedGrowthBytes,
    repoBytes: m.repoBytes,
    othersCpuS: m.othersCpuS,
    ...extra,
  };
}

function init(peer, repoDir) {
  rmSync(repoDir, { recursive: true, force: true });
  const cmd = peer.init(repoDir);
  run(cmd.argv, cmd);
}

/**
 * Runs `sequence` (returning rows) `times` times and keeps, for each step, the fastest run: on a shared
 * machine the least disturbed one is the best estimate of the tool's own cost.
 */
export function fastestOf(times, sequence) {
  const best = new Map();
  for (let i = 0; i < times; i++) {
    for (const r of sequence(i)) {
      const kept = best.get(r.step);
      if (!kept || r.wallS < kept.wallS) best.set(r.step, { ...r, runs: times });
    }
  }
  return [...best.values()];
}

/** restic or borg: returns [first, incr] rows. */
export function runPeerSequence(peer, { repoDir, images, cacheMode, log }) {
  init(peer, repoDir);
  const rows = [];
  log(`  ${peer.id} (${peer.settings}): first backup`);
  const first = timed(peer.backup({ repoDir, imagePath: images.basePath, name: "first" }), {
    repoDir,
    inputs: [images.basePath],
    cacheMode,
  });
  rows.push(row(peer, "first", first));
  log(`  ${peer.id} (${peer.settings}): incremental`);
  const incr = timed(peer.backup({ repoDir, imagePath: images.changedPath, name: "incr" }), {
    repoDir,
    inputs: [images.changedPath],
    cacheMode,
  });
  rows.push(row(peer, "incr", incr));
  return rows;
}

/** esxbackup: returns [first, incr-known, incr-rehash] rows (+ verify timings when asked). */
export function runOursSequence(peer, { repoDir, images, cacheMode, verify, steps = ["known", "rehash"], log }) {
  init(peer, repoDir);
  const rows = [];
  log(`  esxbackup (${peer.settings}): first backup`);
  const firstCmd = peer.backup({ repoDir, imagePath: images.basePath, name: DISK_NAME });
  const first = timed(firstCmd, { repoDir, inputs: [images.basePath], cacheMode });
  const point = peer.pointFrom(first.stdout);
  rows.push(row(peer, "first", first, { point }));

  const rehashDir = `${repoDir}-rehash`;
  rmSync(rehashDir, { recursive: true, force: true });
  if (steps.includes("rehash")) execFileSync("cp", ["-a", repoDir, rehashDir]);

  const repos = [repoDir];
  if (steps.includes("known")) {
    log(`  esxbackup (${peer.settings}): incremental, changes known (--changed-list)`);
    const cmd = peer.backup({
      repoDir,
      imagePath: images.changedPath,
      name: DISK_NAME,
      previous: point,
      changedListPath: images.changedListPath,
    });
    const m = timed(cmd, { repoDir, inputs: [images.changedPath, images.changedListPath], cacheMode });
    rows.push(row(peer, "incr-known", m, { point: peer.pointFrom(m.stdout) }));
  }
  if (steps.includes("rehash")) {
    log(`  esxbackup (${peer.settings}): incremental, re-reading everything (--previous only)`);
    const cmd = peer.backup({ repoDir: rehashDir, imagePath: images.changedPath, name: DISK_NAME, previous: point });
    const m = timed(cmd, { repoDir: rehashDir, inputs: [images.changedPath], cacheMode });
    rows.push(row(peer, "incr-rehash", m, { point: peer.pointFrom(m.stdout) }));
    repos.push(rehashDir);
  }

  const checks = [];
  for (const dir of repos) {
    let stats = null;
    try {
      stats = peer.stats(dir);
    } catch (error) {
      stats = { error: error.message };
    }
    let verified = null;
    if (verify) {
      log(`  esxbackup (${peer.settings}): verify ${dir}`);
      try {
        const m = timed(peer.verify(dir), { repoDir: dir, inputs: [], cacheMode });
        verified = { ok: true, wallS: m.wallS, cpuS: m.cpuS, maxRssBytes: m.maxRssBytes };
      } catch (error) {
        verified = { ok: false, error: error.message };
      }
    }
    checks.push({ repoDir: dir, stats, verified });
  }
  rmSync(rehashDir, { recursive: true, force: true });
  return { rows, checks };
}
