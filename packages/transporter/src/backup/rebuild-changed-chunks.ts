/**
 * Fills a disk's chunks from the changed blocks only (docs/adr/0023). Chunks the source found all zero are
 * written as zero without a read; every other chunk to build is one of a `BuildRun`: it starts as zeros
 * (`new`) or as the previous point's chunk read back from the repository, cut or extended to its new length
 * (`patch`), the changed blocks the source found all zero are zeroed, and the changed blocks read from the
 * source are laid over it. The source is asked for the
 * changed blocks alone, adjacent ones as one read; a run's reads go one after another over its lane's
 * channel while the previous chunks it patches are read from the repository at the same time. The plan may
 * come in stretches while the source is still hashing the rest of the disk; the channels stay open across them.
 *
 * A chunk the repository could not take over after all (its stored chunk is gone) cannot be a base: it is
 * read whole from the source instead.
 */
import type { ByteRange, PointId } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { DiskWriter, Repository } from "@esxbackup/repository";
import type { ProgressReporter, ProgressTaskStart } from "../progress/progress-reporter.js";
import { blockAlignedRunChunks } from "./block-fingerprint-table.js";
import { planBuildRuns, readChunksWhole } from "./build-runs.js";
import type { BuildRun } from "./build-runs.js";
import { runLength, runOverChannels, writeZeroChunks } from "./disk-run-lanes.js";
import type { FillResult } from "./disk-run-lanes.js";
import type { DiskSource } from "./disk-source.js";
import type { ChunkBuild } from "./plan-disk-changes.js";
import { MAX_READS_IN_FLIGHT, READS_IN_FLIGHT, RUN_BYTES } from "./read-runs.js";

/** The plan of one stretch of the disk: chunks `firstChunk` up to (not including) `endChunk`. */
export interface ChangeSegment {
  firstChunk: number;
  endChunk: number;
  builds: ChunkBuild[];
  readRanges: ByteRange[];
  zeroRanges: ByteRange[];
}

/**
 * Reads of a backup patching an earlier point are single changed blocks or short runs of them: more lanes,
 * each reading at most this much at a time, keep the channels busy without holding much memory.
 */
const PATCH_READ_BYTES = 1024 * 1024;

export async function rebuildChangedChunks(input: {
  repository: Repository;
  disk: DiskWriter;
  source: DiskSource;
  /**
   * What to build, one stretch of the disk after another (disjoint; any order): the whole disk at once, or
   * stretches planned while the source is still hashing the rest (docs/adr/0028).
   */
  segments: Iterable<ChangeSegment> | AsyncIterable<ChangeSegment>;
  /** The previous point's disk of the same key; absent for the disk's first backup (no chunk is patched). */
  previous?: { pointId: PointId; diskIndex: number; diskSizeBytes: number };
  signal: AbortSignal;
  progress: ProgressReporter;
  task: Omit<ProgressTaskStart, "phase" | "bytesTotal">;
  /** The bytes the segments will read, when known before they come (the progress task's total). */
  bytesToRead?: number;
}): Promise<FillResult> {
  const { disk, previous } = input;
  const chunk = disk.chunkSizeBytes;
  const previousLength = (index: number): number => (previous === undefined ? 0 : Math.max(0, Math.min(chunk, previous.diskSizeBytes - index * chunk)));
  let base: Promise<DiskReader> | undefined;
  const openBase = (): Promise<DiskReader> => {
    if (previous === undefined) throw new Error("no previous disk to patch chunks of");
    // Decoded here, not by the codec's workers, which would each hold copies of the chunks until collected
    // (docs/adr/0026): a few hundred patched chunks decode as fast on this thread, in far less memory.
    base ??= DiskReader.open(input.repository, previous.pointId, previous.diskIndex, { decodeInline: true });
    return base;
  };
  // A first backup reads long runs whole, as `readWholeChunks` does; an incremental many short reads.
  const inFlight = previous === undefined ? READS_IN_FLIGHT : MAX_READS_IN_FLIGHT;
  const maxReadBytes = previous === undefined ? RUN_BYTES : PATCH_READ_BYTES;
  let bytesZeroAtSource = 0;
  let bytesBuilt = 0;
  let chunksBuilt = 0;
  const runs = async function* (): AsyncGenerator<BuildRun> {
    // The chunks not taken over, listed once before any is written (a scan of the whole disk, too dear per
    // stretch): in a stretch not built yet they are still exactly the ones to supply.
    const notTakenOver = previous === undefined ? [] : disk.chunksToRead([]);
    for await (const segment of input.segments) {
      const builds = new Map(segment.builds.map((build) => [build.index, build]));
      // Chunks of this stretch that were to be taken over or patched but whose stored chunk is gone.
      const baseGone = sortedWithin(notTakenOver, segment.firstChunk, segment.endChunk).filter((index) => {
        const build = builds.get(index);
        return build === undefined || (build.kind === "patch" && previousLength(index) === disk.chunkLength(index));
      });
      const plan = { ...readChunksWhole({ builds: segment.builds, readRanges: segment.readRanges, chunks: baseGone, chunkSizeBytes: chunk, sizeBytes: disk.options.sizeBytes }), zeroRanges: segment.zeroRanges };
      bytesZeroAtSource += writeZeroChunks(disk, plan.builds.filter((build) => build.kind === "zero").map((build) => build.index));
      yield* planBuildRuns({ ...plan, chunkSizeBytes: chunk, sizeBytes: disk.options.sizeBytes, maxRunChunks: blockAlignedRunChunks(RUN_BYTES, chunk, undefined) });
    }
  };
  const bytesRead = await runOverChannels({
    disk,
    source: input.source,
    runs: runs(),
    inFlight,
    maxReadBytes,
    signal: input.signal,
    task: input.progress.start({ ...input.task, phase: "backup", ...(input.bytesToRead === undefined ? {} : { bytesTotal: input.bytesToRead }) }),
    work: async (channels, channel, run) => {
      const start = run.first * chunk;
      const length = runLength(disk, run);
      const only = run.reads[0];
      let read = 0;
      if (run.patch.length === 0 && run.reads.length === 1 && only !== undefined && only.offsetBytes === start && only.lengthBytes === length && length <= maxReadBytes) {
        // Read whole (a first backup's long stretches): written straight from the channel, no copy.
        await disk.writeChunks(run.first, await channels.read(channel, start, length));
        read = length;
      } else {
        const data = Buffer.alloc(length);
        const patched = run.patch.length === 0 ? Promise.resolve() : openBase().then((reader) => layPreviousChunks(reader, run, data, chunk, previousLength, disk));
        // Awaited below; a failure while the reads are still going must not go unhandled meanwhile.
        patched.catch(() => undefined);
        // A read's view is valid until the channel reads again: what lands in a patched chunk is kept aside
        // until the previous chunk is laid down under it.
        const kept: { at: number; bytes: Buffer }[] = [];
        for (const range of run.reads) {
          for (let offset = range.offsetBytes; offset < range.offsetBytes + range.lengthBytes; offset += maxReadBytes) {
            const piece = Math.min(maxReadBytes, range.offsetBytes + range.lengthBytes - offset);
            const view = await channels.read(channel, offset, piece);
            if (run.patch.length === 0) data.set(view, offset - start);
            else kept.push({ at: offset - start, bytes: Buffer.from(view) });
            read += piece;
          }
        }
        await patched;
        for (const zero of run.zeros) data.fill(0, zero.offsetBytes - start, zero.offsetBytes - start + zero.lengthBytes);
        for (const { at, bytes } of kept) data.set(bytes, at);
        await disk.writeChunks(run.first, data);
      }
      bytesBuilt += length;
      chunksBuilt += run.count;
      return read;
    },
  });
  return { bytesRead, bytesBuilt, chunksBuilt, bytesZeroAtSource };
}

/** The numbers of a sorted list from `from` up to (not including) `to`. */
export function sortedWithin(sorted: readonly number[], from: number, to: number): readonly number[] {
  const firstAtLeast = (value: number): number => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((sorted[middle] as number) < value) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return sorted.slice(firstAtLeast(from), firstAtLeast(to));
}

/** Copies each patched chunk's previous content, cut to its new length, into its place in `data`. */
async function layPreviousChunks(base: DiskReader, run: BuildRun, data: Buffer, chunk: number, previousLength: (index: number) => number, disk: DiskWriter): Promise<void> {
  await Promise.all(
    run.patch.map(async (index) => {
      if (previousLength(index) === 0) return;
      const previous = await base.readChunkOrZero(index);
      if (previous === undefined) return;
      data.set(previous.subarray(0, Math.min(previous.byteLength, disk.chunkLength(index))), (index - run.first) * chunk);
    }),
  );
}
