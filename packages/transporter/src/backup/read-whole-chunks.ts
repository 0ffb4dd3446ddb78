/**
 * Fills a disk's chunks by reading them whole: every chunk (a full read; unchanged ones are deduplicated,
 * not stored) or those of the listed ranges, besides any the repository could not take over. When the point
 * records fingerprints, what is read is hashed on the way, so every block a read touches is read whole:
 * here, or by the source as it reads (`hashedBySource`, a disk's first backup read once, docs/adr/0038),
 * which then sends only the blocks that are not all zero.
 */
import type { ByteRange, FingerprintAlgorithm } from "@esxbackup/domain";
import { FingerprintHasher } from "@esxbackup/repository";
import type { DiskWriter } from "@esxbackup/repository";
import type { ProgressReporter, ProgressTaskStart } from "../progress/progress-reporter.js";
import { blockAlignedRunChunks, wholeBlockChunks } from "./block-fingerprint-table.js";
import type { BlockFingerprintTable } from "./block-fingerprint-table.js";
import { runLength, runOverChannels } from "./disk-run-lanes.js";
import type { FillResult } from "./disk-run-lanes.js";
import type { DiskSource } from "./disk-source.js";
import { RUN_BYTES, consecutiveRuns } from "./read-runs.js";
import type { ChunkRun } from "./read-runs.js";
import { sourceZeroChunkGroups } from "./source-zero-chunks.js";

export async function readWholeChunks(input: {
  disk: DiskWriter;
  source: DiskSource;
  /** The ranges whose chunks are read; absent: all. */
  ranges?: ByteRange[];
  /** Where the digests of what is read go; absent: nothing is hashed. */
  table?: BlockFingerprintTable;
  /** With `table`: the source hashes what it reads (`DiskSource.fingerprintsWhileReading` said it can). */
  hashedBySource?: boolean;
  signal: AbortSignal;
  progress: ProgressReporter;
  task: Omit<ProgressTaskStart, "phase" | "bytesTotal">;
}): Promise<FillResult> {
  const { disk, table } = input;
  const block = table?.info.blockSizeBytes;
  let chunks = disk.chunksToRead(input.ranges);
  if (block !== undefined) chunks = wholeBlockChunks(chunks, disk.chunkSizeBytes, block, disk.chunkCount);
  const runs = consecutiveRuns(chunks, blockAlignedRunChunks(RUN_BYTES, disk.chunkSizeBytes, block));
  const bytesToRead = runs.reduce((sum, run) => sum + runLength(disk, run), 0);
  if (input.hashedBySource === true) {
    if (table === undefined) throw new Error("a source hashing what it reads needs the table its digests go to");
    return readHashedBySource({ ...input, table, runs, bytesToRead });
  }
  const hasher = table === undefined ? undefined : new FingerprintHasher(table.info.algorithm as FingerprintAlgorithm, table.info.blockSizeBytes);
  try {
    const bytesRead = await runOverChannels({
      disk,
      source: input.source,
      runs,
      maxReadBytes: runs.reduce((most, run) => Math.max(most, run.count * disk.chunkSizeBytes), 0),
      signal: input.signal,
      task: input.progress.start({ ...input.task, phase: "backup", bytesTotal: bytesToRead }),
      work: async (channels, channel, run) => {
        const length = runLength(disk, run);
        let data = await channels.read(channel, run.first * disk.chunkSizeBytes, length);
        if (hasher !== undefined && table !== undefined) {
          const hashed = await hasher.hash(data);
          table.record(run.first * disk.chunkSizeBytes, hashed.digests);
          data = hashed.data;
        }
        await disk.writeChunks(run.first, data);
        return length;
      },
    });
    return { bytesRead, bytesBuilt: bytesRead, chunksBuilt: chunks.length, bytesZeroAtSource: 0 };
  } finally {
    await hasher?.close();
  }
}

/**
 * Every run read over channels that fingerprint (the source hashes and leaves out the all-zero blocks):
 * the digests go to the table, the chunks to the writer. A chunk whose blocks were all zero at the source
 * is recorded as zero, found so there; in the others, the zero blocks count as built without being read,
 * as when a chunk is rebuilt from its changed blocks.
 */
async function readHashedBySource(input: {
  disk: DiskWriter;
  source: DiskSource;
  table: BlockFingerprintTable;
  runs: readonly ChunkRun[];
  bytesToRead: number;
  signal: AbortSignal;
  progress: ProgressReporter;
  task: Omit<ProgressTaskStart, "phase" | "bytesTotal">;
}): Promise<FillResult> {
  const { disk, table, runs } = input;
  const result: FillResult = { bytesRead: 0, bytesBuilt: 0, chunksBuilt: 0, bytesZeroAtSource: 0 };
  const block = table.info.blockSizeBytes;
  await runOverChannels({
    disk,
    source: input.source,
    fingerprints: table.info,
    bytesSent: () => result.bytesRead,
    runs,
    maxReadBytes: runs.reduce((most, run) => Math.max(most, run.count * disk.chunkSizeBytes), 0),
    signal: input.signal,
    task: input.progress.start({ ...input.task, phase: "backup", bytesTotal: input.bytesToRead }),
    work: async (channels, channel, run) => {
      if (channels.readFingerprinted === undefined) throw new Error(`${input.source.label}: its channels do not fingerprint what they read`);
      const offset = run.first * disk.chunkSizeBytes;
      const length = runLength(disk, run);
      const read = await channels.readFingerprinted(channel, offset, length);
      table.record(offset, read.digests);
      // The zero chunks recorded as zero without a look at their bytes, the others stored from the run's
      // buffer (their zero blocks were zeroed there).
      const writes: Promise<void>[] = [];
      for (const group of sourceZeroChunkGroups({ zeroBlocks: read.zeroBlocks, blockSizeBytes: block, chunkSizeBytes: disk.chunkSizeBytes, runBytes: length })) {
        const first = run.first + group.first;
        if (group.zero) {
          disk.writeZeroChunks(first, group.count);
          result.bytesZeroAtSource += group.bytes;
        } else {
          const at = group.first * disk.chunkSizeBytes;
          writes.push(disk.writeChunks(first, read.data.subarray(at, at + group.bytes)));
          result.bytesBuilt += group.bytes;
          result.chunksBuilt += group.count;
        }
      }
      result.bytesRead += read.bytesSent;
      await Promise.all(writes);
      return length;
    },
  });
  return result;
}
