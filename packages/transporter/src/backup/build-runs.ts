/**
 * How the chunks a backup by fingerprints rebuilds are grouped into units of work (docs/adr/0023). Each
 * `BuildRun` is a run of consecutive chunks written in one piece: every chunk starts as zeros (`new`) or as
 * the previous point's chunk cut or extended to its new length (`patch`), and the run's `reads` — the
 * changed blocks within it, adjacent ones merged — are laid over it. So a changed 64 KiB block costs 64 KiB
 * from the source, not a chunk. Pure: the pipeline does the reading and writing.
 */
import type { ByteRange } from "@esxbackup/domain";
import type { ChunkBuild } from "./plan-disk-changes.js";

export interface BuildRun {
  first: number;
  count: number;
  /** Chunks of the run that start from the previous point's chunk (sorted). */
  patch: number[];
  /** What to read from the source, within the run, sorted and disjoint. */
  reads: ByteRange[];
  /** Changed blocks found all zero within the run's patched chunks: zeroed over the previous bytes. */
  zeros: ByteRange[];
}

export interface BuildRunInput {
  /** How each chunk is built (zero chunks are left out of the runs: they need no read and no base). */
  builds: readonly ChunkBuild[];
  /** The changed, non-zero blocks to read, sorted and disjoint. */
  readRanges: readonly ByteRange[];
  /** The changed blocks found all zero, sorted and disjoint. */
  zeroRanges: readonly ByteRange[];
  chunkSizeBytes: number;
  sizeBytes: number;
  /** At most this many chunks per run (bounds the memory of a run in flight). */
  maxRunChunks: number;
}

export function planBuildRuns(input: BuildRunInput): BuildRun[] {
  const { chunkSizeBytes: chunk, sizeBytes, maxRunChunks } = input;
  const runs: BuildRun[] = [];
  for (const build of input.builds) {
    if (build.kind === "zero") continue;
    const last = runs[runs.length - 1];
    const run = last !== undefined && last.first + last.count === build.index && last.count < maxRunChunks ? last : undefined;
    if (run === undefined) runs.push({ first: build.index, count: 1, patch: build.kind === "patch" ? [build.index] : [], reads: [], zeros: [] });
    else {
      run.count += 1;
      if (build.kind === "patch") run.patch.push(build.index);
    }
  }
  handOut(runs, input.readRanges, chunk, sizeBytes, (run) => run.reads);
  handOut(runs, input.zeroRanges, chunk, sizeBytes, (run) => run.zeros);
  // Only a patched chunk has bytes to zero: a new one starts as zeros.
  for (const run of runs) run.zeros = run.zeros.filter((range) => run.patch.some((index) => overlaps(range, index * chunk, (index + 1) * chunk)));
  return runs;
}

/**
 * The builds and ranges with `chunks` read whole and built `new`: chunks the repository could not take
 * over after all (their stored chunk is gone), whose previous content cannot be a base. Sorted in, sorted
 * out; ranges that touch are merged.
 */
export function readChunksWhole(input: { builds: readonly ChunkBuild[]; readRanges: readonly ByteRange[]; chunks: readonly number[]; chunkSizeBytes: number; sizeBytes: number }): {
  builds: ChunkBuild[];
  readRanges: ByteRange[];
} {
  if (input.chunks.length === 0) return { builds: [...input.builds], readRanges: [...input.readRanges] };
  const whole = new Set(input.chunks);
  const byIndex = new Map(input.builds.map((build) => [build.index, build]));
  for (const chunk of whole) byIndex.set(chunk, { index: chunk, kind: "new" });
  const builds = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const added = [...whole].map((chunk) => ({ offsetBytes: chunk * input.chunkSizeBytes, lengthBytes: Math.min(input.chunkSizeBytes, input.sizeBytes - chunk * input.chunkSizeBytes) }));
  const all = [...input.readRanges, ...added].sort((a, b) => a.offsetBytes - b.offsetBytes);
  const readRanges: ByteRange[] = [];
  for (const range of all) {
    const last = readRanges[readRanges.length - 1];
    if (last !== undefined && rangeEnd(last) >= range.offsetBytes) last.lengthBytes = Math.max(rangeEnd(last), rangeEnd(range)) - last.offsetBytes;
    else readRanges.push({ ...range });
  }
  return { builds, readRanges };
}

/** Both lists sorted: one pass hands each run the parts of the ranges within it. */
function handOut(runs: BuildRun[], ranges: readonly ByteRange[], chunk: number, sizeBytes: number, into: (run: BuildRun) => ByteRange[]): void {
  let next = 0;
  for (const run of runs) {
    const start = run.first * chunk;
    const end = Math.min(sizeBytes, (run.first + run.count) * chunk);
    while (next < ranges.length && rangeEnd(ranges[next] as ByteRange) <= start) next += 1;
    for (let k = next; k < ranges.length; k += 1) {
      const range = ranges[k] as ByteRange;
      if (range.offsetBytes >= end) break;
      const from = Math.max(start, range.offsetBytes);
      into(run).push({ offsetBytes: from, lengthBytes: Math.min(end, rangeEnd(range)) - from });
    }
  }
}

function overlaps(range: ByteRange, start: number, end: number): boolean {
  return range.offsetBytes < end && rangeEnd(range) > start;
}

function rangeEnd(range: ByteRange): number {
  return range.offsetBytes + range.lengthBytes;
}
