/**
 * What the two ways of filling a disk's chunks share (`readWholeChunks`, `rebuildChangedChunks`): the
 * source's channels opened for as many reads in flight as the runs call for, one lane per channel taking
 * the next run until none is left (so a channel never has two reads in flight), the progress task of the
 * `backup` phase fed with the disk writer's counters, and the all-zero chunks the source marked written
 * as zero without a read.
 */
import type { ChangeFingerprints } from "@esxbackup/domain";
import type { DiskWriter } from "@esxbackup/repository";
import type { ProgressTask } from "../progress/progress-reporter.js";
import { blockAlignedRunChunks } from "./block-fingerprint-table.js";
import type { DiskChannels, DiskSource } from "./disk-source.js";
import { RUN_BYTES, consecutiveRuns, readsInFlightFor } from "./read-runs.js";
import type { ChunkRun } from "./read-runs.js";

/** What filling the disk's chunks did, for its counters. */
export interface FillResult {
  /** Bytes asked of the source. */
  bytesRead: number;
  /** Bytes of the chunks handed to the writer built from reads (not the zero chunks). */
  bytesBuilt: number;
  chunksBuilt: number;
  bytesZeroAtSource: number;
}

/** Bytes of the run's chunks (the disk's last chunk may be short). */
export function runLength(disk: DiskWriter, run: ChunkRun): number {
  return (run.count - 1) * disk.chunkSizeBytes + disk.chunkLength(run.first + run.count - 1);
}

/** Records the chunks the source found all zero as zero (nothing read, made or hashed); returns their bytes. */
export function writeZeroChunks(disk: DiskWriter, chunks: readonly number[]): number {
  let bytes = 0;
  for (const run of consecutiveRuns(chunks, blockAlignedRunChunks(RUN_BYTES, disk.chunkSizeBytes, undefined))) {
    disk.writeZeroChunks(run.first, run.count);
    bytes += runLength(disk, run);
  }
  return bytes;
}

/**
 * Runs `work` for every run over the source's channels, lanes taking the next run until none is left (so a
 * channel never has two reads in flight): `readsInFlightFor` lanes for runs known up front, `inFlight` for
 * runs that come while they are being worked through. `work` returns the bytes it read, which feed the
 * progress task. Closes the channels.
 */
export async function runOverChannels<Run extends ChunkRun>(input: {
  disk: DiskWriter;
  source: DiskSource;
  runs: readonly Run[] | AsyncIterable<Run>;
  /** Lanes for runs that come as an async iterable. */
  inFlight?: number;
  maxReadBytes: number;
  /** Open the source's channels to fingerprint what they read (`DiskChannels.readFingerprinted`). */
  fingerprints?: ChangeFingerprints;
  /** The bytes that crossed the wire so far, when not all that `work` read (a source leaving out zero blocks). */
  bytesSent?: () => number;
  signal: AbortSignal;
  task: ProgressTask;
  work: (channels: DiskChannels, channel: number, run: Run) => Promise<number>;
}): Promise<number> {
  const { disk, signal, task } = input;
  const runs: AsyncIterator<Run> | Iterator<Run> = Symbol.asyncIterator in input.runs ? input.runs[Symbol.asyncIterator]() : input.runs[Symbol.iterator]();
  const inFlight = Array.isArray(input.runs) ? readsInFlightFor(input.runs as readonly Run[], disk.chunkSizeBytes) : input.inFlight;
  if (inFlight === undefined) throw new Error("runs that come as they are planned need the number of lanes");
  const channels = await input.source.openChannels(inFlight, input.maxReadBytes, input.fingerprints === undefined ? {} : { fingerprints: input.fingerprints });
  let bytesRead = 0;
  let failed = false;
  const lane = async (channel: number): Promise<void> => {
    // An async generator queues the lanes' calls and answers them in turn.
    for (let next = await runs.next(); next.done !== true && !failed; next = await runs.next()) {
      signal.throwIfAborted();
      // Not `bytesRead += await …`: that reads the total before the await and loses the other lanes' updates.
      const read = await input.work(channels, channel, next.value);
      bytesRead += read;
      task.update(bytesRead, {
        bytesRead,
        bytesSent: input.bytesSent?.() ?? bytesRead,
        bytesWritten: disk.stats.bytesStored,
        bytesSkippedZero: disk.stats.bytesSkippedZero,
        bytesSkippedUnchanged: disk.stats.bytesTakenOver,
        bytesDeduplicated: disk.stats.bytesDeduplicated,
      });
    }
  };
  try {
    await Promise.all(
      Array.from({ length: inFlight }, (_, channel) =>
        lane(channel).catch((error: unknown) => {
          // The other lanes stop taking runs; the first error is the one reported.
          failed = true;
          throw error;
        }),
      ),
    );
  } finally {
    task.stop();
    await channels.close();
    // Not awaited: a generator still waiting for its next stretch finishes once its feed ends or fails.
    const closing = runs.return?.();
    if (closing instanceof Promise) closing.catch(() => undefined);
  }
  return bytesRead;
}
