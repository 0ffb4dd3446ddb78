// Chooses the block size of host-side fingerprints (docs/adr/0019): for the repository bench's images
// (bench/repository/make-image.mjs: the mixed image, then 1 % of its 64 KiB blocks rewritten at random), the
// bytes an incremental puts on the wire at each block size = the fingerprint lines the host prints (a hex
// digest + "\n" per block, "Z\n" per all-zero block) + every changed block, read whole. Compared with what
// `rsync --inplace --no-whole-file` sent for the same change on a 4 GiB disk (42.9 MB,
// ../shared/reference/environment.md).
//
// The wire figures are computed from the images' plan (pure, no image written). `--host-cpu SIZE` also runs
// the real host script (packages/transporter, built) with this machine's python3 over a generated base image
// of SIZE at each block size, checks that its output has exactly the predicted length, and reports its time
// per GiB (warm cache, one process).
//
//   node bench/hashing/block-size.mjs [--size 4GiB] [--seed esxbackup-bench-1] [--algorithms md5,sha1,sha256]
//        [--blocks 4K,8K,16K,32K,64K,128K,256K,512K,1M] [--rsync-bytes 42900000] [--host-cpu 512MiB] [--work-dir DIR]
//        [--shifted] [--parallel 1,2]
//
// `--parallel 1,2` runs the host script as 1, then 2 concurrent processes over equal block-aligned parts of
// the image (what the transporter does over several SSH channels) and reports the wall time per GiB.
//
// `--shifted` moves each rewritten 64 KiB block by a fixed pseudo-random multiple of 4 KiB (a sensitivity
// check: guests write on 4 KiB boundaries, and the bench scheme's 64 KiB alignment favours 64 KiB blocks).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { CHANGE_BLOCK_BYTES, ensureImages, planChanges, planImage } from "../repository/make-image.mjs";
import { parseSize } from "../repository/sizes.mjs";

const PAGE = 4096;
const DIGEST_BYTES = { md5: 16, sha1: 20, sha256: 32 };

/** "64K", "1M": a power of two from 4 KiB to 16 MiB, the fingerprint block bounds. */
function parseBlockSize(text) {
  const m = /^(\d+)([KM])$/i.exec(text.trim());
  const bytes = m === null ? NaN : Number(m[1]) * (m[2].toUpperCase() === "K" ? 1024 : 1024 * 1024);
  if (!(bytes >= 4096 && bytes <= 16 * 1024 * 1024 && (bytes & (bytes - 1)) === 0)) throw new Error(`not a block size: ${JSON.stringify(text)} (4K to 16M, a power of two)`);
  return bytes;
}

const { values: opts } = parseArgs({
  options: {
    size: { type: "string", default: "4GiB" },
    seed: { type: "string", default: "esxbackup-bench-1" },
    algorithms: { type: "string", default: "md5,sha1,sha256" },
    blocks: { type: "string", default: "4K,8K,16K,32K,64K,128K,256K,512K,1M" },
    "rsync-bytes": { type: "string", default: "42900000" },
    "host-cpu": { type: "string" },
    "work-dir": { type: "string", default: "bench/out/hashing" },
    shifted: { type: "boolean", default: false },
    parallel: { type: "string", default: "1" },
  },
});

const sizeBytes = parseSize(opts.size);
const blockSizes = opts.blocks.split(",").map(parseBlockSize);
const algorithms = opts.algorithms.split(",");
const rsyncBytes = Number(opts["rsync-bytes"]);

/** Per 4 KiB page of the changed image: is it zero, was it rewritten. */
function pageMaps(seed, size) {
  const pages = size / PAGE;
  const zero = new Uint8Array(pages);
  for (const region of planImage(seed, size)) {
    if (region.kind === "zero") zero.fill(1, region.offsetBytes / PAGE, (region.offsetBytes + region.lengthBytes) / PAGE);
  }
  const changed = new Uint8Array(pages);
  const perChange = CHANGE_BLOCK_BYTES / PAGE;
  for (const block of planChanges(seed, size)) {
    const shift = opts.shifted ? Math.imul(block, 2654435761) >>> 28 : 0; // 0..15 pages
    const first = Math.min(block * perChange + shift, pages - perChange);
    changed.fill(1, first, first + perChange);
    zero.fill(0, first, first + perChange); // rewritten with random bytes
  }
  return { zero, changed };
}

/** The fingerprint output of the changed image and the changed bytes read, at one block size. */
function wire(maps, blockBytes, digestBytes) {
  const perBlock = blockBytes / PAGE;
  let lines = 0;
  let changedBytes = 0;
  let zeroBlocks = 0;
  let blocks = 0;
  for (let first = 0; first < maps.zero.length; first += perBlock) {
    let allZero = true;
    let anyChanged = false;
    for (let page = first; page < first + perBlock; page++) {
      if (maps.zero[page] !== 1) allZero = false;
      if (maps.changed[page] === 1) anyChanged = true;
    }
    blocks++;
    if (allZero) zeroBlocks++;
    lines += allZero ? 2 : digestBytes * 2 + 1;
    if (anyChanged) changedBytes += blockBytes;
  }
  return { blocks, zeroBlocks, lines, changedBytes, total: lines + changedBytes };
}

const mb = (bytes) => (bytes / 1e6).toFixed(2);
const label = (bytes) => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024}M` : `${bytes / 1024}K`);

const maps = pageMaps(opts.seed, sizeBytes);
const changes = planChanges(opts.seed, sizeBytes).length;
console.log(`image ${opts.size} (seed ${opts.seed}): ${changes} blocks of 64 KiB rewritten${opts.shifted ? " (shifted by 4 KiB multiples)" : ""} (${mb(changes * CHANGE_BLOCK_BYTES)} MB); rsync sent ${mb(rsyncBytes)} MB`);
console.log("");
console.log("| block | algorithm | blocks | zero blocks | fingerprint lines MB | changed blocks MB | wire MB | × rsync |");
console.log("|---|---|---|---|---|---|---|---|");
for (const blockBytes of blockSizes) {
  for (const algorithm of algorithms) {
    const w = wire(maps, blockBytes, DIGEST_BYTES[algorithm]);
    console.log(`| ${label(blockBytes)} | ${algorithm} | ${w.blocks} | ${w.zeroBlocks} | ${mb(w.lines)} | ${mb(w.changedBytes)} | ${mb(w.total)} | ${(w.total / rsyncBytes).toFixed(3)} |`);
  }
}

if (opts["host-cpu"] !== undefined) {
  const { BLOCK_HASH_PYTHON_SCRIPT } = await import("../../packages/transporter/dist/esxi/hashing/block-hash-python-script.js");
  const { splitDiskForHashing } = await import("../../packages/transporter/dist/esxi/hashing/host-disk-hashing.js");
  const cpuSize = parseSize(opts["host-cpu"]);
  mkdirSync(opts["work-dir"], { recursive: true });
  const images = ensureImages(opts["work-dir"], opts.seed, cpuSize, (line) => console.error(line));
  const cpuMaps = pageMaps(opts.seed, cpuSize);
  spawnSync("cat", [images.changedPath], { stdio: ["ignore", "ignore", "inherit"] }); // warm the cache
  console.log("");
  console.log(`host script, this machine's python3, ${opts["host-cpu"]} changed image, warm cache:`);
  console.log("");
  console.log("| block | algorithm | processes | output bytes (predicted = measured) | wall s per GiB |");
  console.log("|---|---|---|---|---|");
  for (const blockBytes of blockSizes) {
    for (const algorithm of algorithms) {
      for (const processes of opts.parallel.split(",").map(Number)) {
        const started = process.hrtime.bigint();
        const parts = splitDiskForHashing(images.changedPath, cpuSize, { algorithm, blockSizeBytes: blockBytes }, processes);
        const outputs = await Promise.all(parts.map((part) => hostScript(BLOCK_HASH_PYTHON_SCRIPT, part.path, algorithm, part.offsetBytes, part.lengthBytes, blockBytes)));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const bytes = outputs.reduce((sum, out) => sum + out, 0);
        const predicted = wire(cpuMaps, blockBytes, DIGEST_BYTES[algorithm]).lines;
        if (bytes !== predicted) throw new Error(`output ${bytes} bytes, predicted ${predicted}`);
        console.log(`| ${label(blockBytes)} | ${algorithm} | ${processes} | ${bytes} | ${(seconds / (cpuSize / 1024 ** 3)).toFixed(2)} |`);
      }
    }
  }
}

/** Runs the script with python3 on one part; resolves to the byte count of its output. */
function hostScript(script, path, algorithm, offset, length, blockBytes) {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-", path, algorithm, String(offset), String(length), String(blockBytes)], { stdio: ["pipe", "pipe", "inherit"] });
    let bytes = 0;
    child.stdout.on("data", (chunk) => (bytes += chunk.length));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(bytes) : reject(new Error(`python3 exited ${code}`))));
    child.stdin.end(script);
  });
}
