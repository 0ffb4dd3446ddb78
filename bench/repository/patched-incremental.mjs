// What an incremental `--detect-changes fingerprints` backup asks of its source, now that changed chunks are
// patched from their changed blocks (docs/adr/0023): the repository bench's mixed image, then 1 % of its
// 64 KiB blocks rewritten (make-image.mjs), backed up first, then incrementally against that first point —
// once with the first point recording sha1:64K fingerprints, once without fingerprints (the incremental then
// hashes the first point's disk again from the repository). Prints, for each, the bytes asked of the source
// (the changed blocks), the bytes of the chunks holding them (what a whole-chunk read would ask), wall and CPU
// time and peak memory of the incremental. Warm page cache (the machine is shared: caches are not dropped).
//
//   node bench/repository/patched-incremental.mjs [--size 1GiB] [--seed esxbackup-bench-1] [--work-dir DIR]
//
// Builds packages/cli first (tsc -b, incremental).
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureImages } from "./make-image.mjs";
import { measure, run } from "./measure.mjs";
import { cliCommand } from "./peers/esxbackup.mjs";
import { formatMiB, parseSize } from "./sizes.mjs";

const { values: opts } = parseArgs({
  options: {
    size: { type: "string", default: "1GiB" },
    seed: { type: "string", default: "esxbackup-bench-1" },
    "work-dir": { type: "string", default: "/tmp/esxbackup-bench-patched" },
  },
});
const root = resolve(import.meta.dirname, "../..");
const workDir = resolve(opts["work-dir"]);
mkdirSync(workDir, { recursive: true });
run(["npx", "--no-install", "tsc", "-b", "packages/cli"], { cwd: root });
const images = ensureImages(workDir, opts.seed, parseSize(opts.size), (line) => console.error(line));
const cli = [...cliCommand(join(root, "packages/cli/bin/esxbackup.js")), "repo"];
const json = (text) => JSON.parse(text);

const rows = [];
for (const [name, firstOptions] of [
  ["previous point with sha1:64K fingerprints", ["--fingerprints", "sha1:64K"]],
  ["previous point without fingerprints (hashed again)", []],
]) {
  const repo = join(workDir, "repo");
  rmSync(repo, { recursive: true, force: true });
  run([...cli, "init", "--repo", repo]);
  const { chunkSizeBytes } = json(run([...cli, "stats", "--repo", repo, "--json"]));
  const first = json(run([...cli, "backup-image", "--repo", repo, "--name", "vm", images.basePath, ...firstOptions, "--json"]));
  const measured = measure([...cli, "backup-image", "--repo", repo, "--name", "vm", images.changedPath, "--previous", first.point, "--detect-changes", "fingerprints", "--fingerprints", "sha1:64K", "--json"]);
  const counters = json(measured.stdout).counters;
  rows.push({ name, read: counters.bytesRead, chunks: counters.chunksRead * chunkSizeBytes, measured });
}
console.log(`${opts.size} image, ${images.changedBlocks} of its 64 KiB blocks changed (${formatMiB(images.changedBytes, 2)} MiB)`);
console.log("| incremental | asked of the source | chunks holding the changes | wall | CPU | max RSS |");
console.log("|---|---|---|---|---|---|");
for (const { name, read, chunks, measured } of rows) {
  console.log(`| ${name} | ${formatMiB(read, 2)} MiB | ${formatMiB(chunks, 2)} MiB | ${measured.wallS.toFixed(2)} s | ${measured.cpuS.toFixed(2)} s | ${formatMiB(measured.maxRssBytes)} MiB |`);
}
