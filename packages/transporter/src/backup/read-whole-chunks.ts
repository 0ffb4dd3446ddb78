/**
 * Fills a disk's chunks by reading them whole: every chunk (a full read; unchanged ones are deduplicated,
 * not stored) or those of the listed ranges, besides any the repository could not take over. When the point
 * records fingerprints, what is read is hashed on the way, so every block a read touches is read whole.
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

export async function readWholeChunks(input: {
  disk: DiskWriter;
  source: DiskSource;
  /** The ranges whose chunks are read; absent: all. */
  ranges?: ByteRange[];
  /** Where the digests of what is read go; absent: nothing is hashed. */
  table?: BlockFingerprintTable;
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
