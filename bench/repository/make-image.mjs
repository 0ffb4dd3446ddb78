// The benchmark's input: a "mixed" disk image and a copy of it with 1 % of its 64 KiB blocks rewritten, plus
// the changed-block list that change tracking would hand the transporter for that copy.
//
// The image is a sequence of regions, 4 KiB-aligned, with log-uniform lengths from 4 KiB to 64 MiB (many small
// ones, a few large ones, as files lie on a guest's disk). Each region is one of
//   zero         — never written: a hole in the sparse file (unallocated or trimmed guest blocks);
//   random       — incompressible (media, archives, encrypted data);
//   compressible — unique log-like text, about 2.6x with zstd -1.
// The kinds are drawn so that the bytes split close to ZERO/RANDOM/COMPRESSIBLE_SHARE below; the real split
// is returned and printed.
//
// Everything derives from the seed: same seed + size = the same bytes. Generated images are kept in the work
// dir with a manifest, and reused when seed, size and IMAGE_FORMAT match.
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Prng, TextStream, randomStream } from "./byte-streams.mjs";

/** Bump when anything changes the bytes produced for a given seed and size. */
export const IMAGE_FORMAT = 1;

const ALIGN_BYTES = 4096;
const MIN_REGION_BYTES = 4096;
const MAX_REGION_BYTES = 64 * 1024 * 1024;
const WRITE_PIECE_BYTES = 8 * 1024 * 1024;
const SHARES = { zero: 0.3, random: 0.35, compressible: 0.35 };

export const CHANGE_BLOCK_BYTES = 64 * 1024;
export const CHANGE_FRACTION = 0.01;

/** Pure: the region layout for a seed and size. */
export function planImage(seed, sizeBytes) {
  const prng = new Prng(seed, "layout");
  const kinds = Object.keys(SHARES);
  const placed = { zero: 0, random: 0, compressible: 0 };
  const regions = [];
  const logMin = Math.log(MIN_REGION_BYTES);
  const logMax = Math.log(MAX_REGION_BYTES);
  let offsetBytes = 0;
  while (offsetBytes < sizeBytes) {
    const wanted = Math.exp(logMin + prng.next() * (logMax - logMin));
    const aligned = Math.max(ALIGN_BYTES, Math.round(wanted / ALIGN_BYTES) * ALIGN_BYTES);
    const lengthBytes = Math.min(aligned, sizeBytes - offsetBytes);
    // Draw by share, but never push a kind past its share of the whole image while another is short of it.
    let kind = pickWeighted(prng, kinds, SHARES);
    if (placed[kind] + lengthBytes > SHARES[kind] * sizeBytes) {
      kind = kinds.reduce((best, k) => (SHARES[k] * sizeBytes - placed[k] > SHARES[best] * sizeBytes - placed[best] ? k : best));
    }
    placed[kind] += lengthBytes;
    regions.push({ offsetBytes, lengthBytes, kind });
    offsetBytes += lengthBytes;
  }
  return regions;
}

function pickWeighted(prng, kinds, weights) {
  let r = prng.next();
  for (const k of kinds) {
    r -= weights[k];
    if (r < 0) return k;
  }
  return kinds[kinds.length - 1];
}

/** Writes the base image (sparse: zero regions are holes). Returns the byte count per kind. */
export function writeImage(path, seed, sizeBytes) {
  rmSync(path, { force: true });
  const fd = openSync(path, "w");
  const random = randomStream(seed, "random");
  const text = new TextStream(seed, "compressible");
  const composition = { zero: 0, random: 0, compressible: 0, regions: 0 };
  try {
    for (const region of planImage(seed, sizeBytes)) {
      composition[region.kind] += region.lengthBytes;
      composition.regions++;
      if (region.kind === "zero") continue;
      for (let done = 0; done < region.lengthBytes; ) {
        const n = Math.min(WRITE_PIECE_BYTES, region.lengthBytes - done);
        const piece = region.kind === "random" ? random(n) : text.next(n);
        writeSync(fd, piece, 0, n, region.offsetBytes + done);
        done += n;
      }
    }
    ftruncateSync(fd, sizeBytes);
  } finally {
    closeSync(fd);
  }
  return composition;
}

/** Pure: which 64 KiB blocks the second image rewrites (sorted block indexes). */
export function planChanges(seed, sizeBytes) {
  const blockCount = Math.floor(sizeBytes / CHANGE_BLOCK_BYTES);
  const changeCount = Math.max(1, Math.round(blockCount * CHANGE_FRACTION));
  const prng = new Prng(seed, "changes");
  // Partial Fisher-Yates: the first changeCount entries become a uniform sample without repeats.
  const blocks = new Uint32Array(blockCount);
  for (let i = 0; i < blockCount; i++) blocks[i] = i;
  for (let i = 0; i < changeCount; i++) {
    const j = i + prng.below(blockCount - i);
    const t = blocks[i];
    blocks[i] = blocks[j];
    blocks[j] = t;
  }
  return Array.from(blocks.subarray(0, changeCount)).sort((a, b) => a - b);
}

/**
 * Pure: the changed-list text (the format agreed with the CLI: one `<offsetBytes> <lengthBytes>` range per
 * line, decimal; `#` lines are comments). Adjacent blocks are merged into one range.
 */
export function formatChangedList(blockIndexes) {
  const lines = [`# ${blockIndexes.length} blocks of ${CHANGE_BLOCK_BYTES} bytes rewritten`];
  let start = -1;
  let end = -1;
  for (const b of blockIndexes) {
    if (b === end) {
      end = b + 1;
      continue;
    }
    if (start >= 0) lines.push(`${start * CHANGE_BLOCK_BYTES} ${(end - start) * CHANGE_BLOCK_BYTES}`);
    start = b;
    end = b + 1;
  }
  if (start >= 0) lines.push(`${start * CHANGE_BLOCK_BYTES} ${(end - start) * CHANGE_BLOCK_BYTES}`);
  return lines.join("\n") + "\n";
}

/** Copies the base image (keeping holes) and rewrites the planned blocks with fresh random data. */
export function writeChangedImage(basePath, path, seed, sizeBytes) {
  rmSync(path, { force: true });
  execFileSync("cp", ["--sparse=always", basePath, path]);
  const blocks = planChanges(seed, sizeBytes);
  const random = randomStream(seed, "rewrites");
  const fd = openSync(path, "r+");
  try {
    for (const b of blocks) writeSync(fd, random(CHANGE_BLOCK_BYTES), 0, CHANGE_BLOCK_BYTES, b * CHANGE_BLOCK_BYTES);
  } finally {
    closeSync(fd);
  }
  return blocks;
}

/**
 * Makes (or reuses) base.img, changed.img and changed.list in `dir`. Returns their paths and what they hold.
 */
export function ensureImages(dir, seed, sizeBytes, log) {
  const paths = {
    basePath: join(dir, "base.img"),
    changedPath: join(dir, "changed.img"),
    changedListPath: join(dir, "changed.list"),
    manifestPath: join(dir, "images.json"),
  };
  const wanted = { format: IMAGE_FORMAT, seed, sizeBytes };
  if (existsSync(paths.manifestPath) && existsSync(paths.basePath) && existsSync(paths.changedPath)) {
    const manifest = JSON.parse(readFileSync(paths.manifestPath, "utf8"));
    if (manifest.format === wanted.format && manifest.seed === seed && manifest.sizeBytes === sizeBytes) {
      log(`reusing images in ${dir} (seed ${JSON.stringify(seed)})`);
      return { ...paths, ...manifest };
    }
  }
  rmSync(paths.manifestPath, { force: true });
  const started = Date.now();
  log(`writing ${paths.basePath} ...`);
  const composition = writeImage(paths.basePath, seed, sizeBytes);
  log(`writing ${paths.changedPath} ...`);
  const blocks = writeChangedImage(paths.basePath, paths.changedPath, seed, sizeBytes);
  writeFileSync(paths.changedListPath, formatChangedList(blocks));
  const manifest = {
    ...wanted,
    composition,
    changedBlocks: blocks.length,
    changedBytes: blocks.length * CHANGE_BLOCK_BYTES,
    changeBlockBytes: CHANGE_BLOCK_BYTES,
  };
  writeFileSync(paths.manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  log(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ...paths, ...manifest };
}
