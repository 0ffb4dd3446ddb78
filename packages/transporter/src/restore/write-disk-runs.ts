/**
 * Writes a disk of a point into a flat file on the host: the runs of chunks asked for, over `channels`
 * writers with `LANES_PER_CHANNEL` lanes each (one lane reads the next run from the repository while the
 * others' bytes travel and wait for the host's acknowledgement). A run of data is sent; a run marked zero is written as zeros by the host itself. Shared by the
 * restore to a new VM (data runs only: the new thin disk reads as zeros) and over the original (both).
 *
 * A run counts as done once the host acknowledged it; a run cut off by a lost connection is sent again
 * whole on a new one (host-flat-writer.ts, docs/adr/0027). When a run fails for good, the other lanes stop
 * taking runs and the writers are stopped; the error is thrown once no lane is writing any more, so what
 * follows (the restore's undo) never races a write.
 */
import type { DiskReader } from "@esxbackup/repository";
import { consecutiveRuns } from "../backup/read-runs.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import type { TransferRateLimiter } from "../transfer/transfer-rate-limiter.js";
import { openFlatFileWriter } from "./host-flat-writer.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";

/**
 * Bytes of a data run at most, by how the host writes. For the Python writer memory, not speed, sets it:
 * every lane held a run's decoded chunks and the run joined into one frame, 2 lanes per channel (then), so
 * 4 MiB runs held about 64 MiB at 4 channels and took a restore to the host past its 250 MB bound
 * (bench/transporter); 1 MiB runs restore as fast (a frame header per run is all they add). `dd` starts a
 * process per run, so it keeps runs of 4 MiB.
 */
export function restoreRunBytes(method: FlatWriteMethod["kind"]): number {
  return method === "dd" ? 4 * 1024 * 1024 : 1024 * 1024;
}

/**
 * Lanes per writer. Each waits for the host to acknowledge its run before taking the next (docs/adr/0027),
 * so with two a channel idled for a round trip per run: a 4 GiB restore to the host went from 0.86x an
 * OpenSSH upload to 0.69-0.74x (bench/transporter). A third keeps a run travelling while one is
 * acknowledged, for one more 1 MiB run per channel in memory: 0.74-0.81x in two runs (a fourth: 0.80-0.83x,
 * within the noise, for another).
 */
export const LANES_PER_CHANNEL = 3;

export interface DiskRun {
  first: number;
  count: number;
  zero: boolean;
}

/**
 * Runs of the disk's chunks, in disk order: its data chunks, and with `zeros` its zero chunks too; with
 * `fromChunk`, only chunks from that one on (a resumed restore, docs/adr/0030).
 */
export function diskRuns(reader: DiskReader, options: { zeros: boolean; runBytes: number; fromChunk?: number }): DiskRun[] {
  const { index } = reader;
  const from = Math.min(options.fromChunk ?? 0, index.chunkCount);
  const all = Array.from({ length: index.chunkCount - from }, (_, i) => from + i);
  const data = consecutiveRuns(all.filter((chunk) => !index.isZero(chunk)), Math.max(1, Math.floor(options.runBytes / index.chunkSizeBytes))).map((run) => ({ ...run, zero: false }));
  if (!options.zeros) return data;
  const zeros = consecutiveRuns(all.filter((chunk) => index.isZero(chunk)), Number.MAX_SAFE_INTEGER).map((run) => ({ ...run, zero: true }));
  return [...data, ...zeros].sort((a, b) => a.first - b.first);
}

export interface WriteDiskRunsRequest {
  session: Pick<EsxiSshSession, "exec" | "execStream">;
  flatPath: string;
  method: FlatWriteMethod;
  channels: number;
  reader: DiskReader;
  runs: readonly DiskRun[];
  signal: AbortSignal;
  /** After each run the host acknowledged, with its length, whether it was zeros made on the host, and the run. */
  onDone: (bytes: number, zero: boolean, run: DiskRun) => void;
  /** Tries per run when the connection keeps failing (default 3). */
  attempts?: number;
  /** Before a run is sent again after a lost connection, with what and why. */
  onRetry?: (reason: string) => void;
  /**
   * The run's bandwidth limit (docs/adr/0032): each data run waits for its bytes before it is sent. Zeros
   * the host makes itself cross no wire and do not wait; a run sent again after a lost connection is not
   * paced again.
   */
  rateLimiter?: Pick<TransferRateLimiter, "take">;
}

export async function writeDiskRuns(request: WriteDiskRunsRequest): Promise<{ bytesWritten: number; bytesZeroed: number }> {
  const { reader, runs, signal } = request;
  const { index } = reader;
  const channels = Math.max(1, Math.min(request.channels, runs.length));
  const writer = await openFlatFileWriter({
    session: request.session,
    path: request.flatPath,
    method: request.method,
    channels,
    blockBytes: index.chunkSizeBytes,
    signal,
    ...(request.attempts === undefined ? {} : { attempts: request.attempts }),
    ...(request.onRetry === undefined ? {} : { onRetry: request.onRetry }),
  });
  let bytesWritten = 0;
  let bytesZeroed = 0;
  let failed = false;
  // One iterator shared by the lanes: each takes the next run when it is free.
  const queue = runs.values();
  const runLength = (run: DiskRun): number => (run.count - 1) * index.chunkSizeBytes + index.chunkLength(run.first + run.count - 1);
  const longestDataRun = runs.reduce((longest, run) => (run.zero ? longest : Math.max(longest, runLength(run))), 0);
  const lane = async (number: number): Promise<void> => {
    // Each lane reads its runs into one buffer of its own, free again once the host acknowledged the run
    // (the writer holds the bytes until then, for a resend): no buffer per chunk joined into one per run.
    let runBuffer: Buffer | undefined;
    for (const run of queue) {
      if (failed) return;
      signal.throwIfAborted();
      const offset = run.first * index.chunkSizeBytes;
      const length = runLength(run);
      if (run.zero) {
        await writer.writeZeros(number, offset, length);
        bytesZeroed += length;
      } else {
        runBuffer ??= Buffer.allocUnsafeSlow(longestDataRun);
        const data = runBuffer.subarray(0, length);
        await reader.readInto(offset, data);
        await request.rateLimiter?.take(length, signal);
        await writer.write(number, offset, data);
        bytesWritten += length;
      }
      request.onDone(length, run.zero, run);
    }
  };
  let firstError: { error: unknown } | undefined;
  const stopOthers = async (error: unknown): Promise<void> => {
    if (firstError !== undefined) return;
    firstError = { error };
    failed = true;
    await writer.abandon();
  };
  await Promise.all(Array.from({ length: channels * LANES_PER_CHANNEL }, (_, number) => lane(number).catch(stopOthers)));
  if (firstError === undefined) {
    try {
      await writer.close();
    } catch (error) {
      await stopOthers(error);
    }
  }
  if (firstError !== undefined) throw firstError.error;
  return { bytesWritten, bytesZeroed };
}
