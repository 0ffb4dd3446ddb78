/**
 * How the chunks to read are grouped into reads and how many reads are in flight: each read is one run of
 * up to RUN_BYTES of consecutive chunks, hashed and encoded by one worker.
 */

/** Reads in flight for long runs. */
export const READS_IN_FLIGHT = 4;
export const RUN_BYTES = 4 * 1024 * 1024;
/**
 * Scattered changes make runs of one chunk, each a chain of short waits (read, encode, existence check,
 * write): more of them in flight keep the disk and the workers busy. Bounded so that about
 * READS_IN_FLIGHT × RUN_BYTES stay in memory whatever the run length.
 */
export const MAX_READS_IN_FLIGHT = 16;

export interface ChunkRun {
  first: number;
  count: number;
}

export function readsInFlightFor(runs: readonly ChunkRun[], chunkBytes: number): number {
  if (runs.length === 0) return 1;
  const averageRunBytes = (runs.reduce((sum, run) => sum + run.count, 0) * chunkBytes) / runs.length;
  return Math.max(READS_IN_FLIGHT, Math.min(MAX_READS_IN_FLIGHT, Math.floor((READS_IN_FLIGHT * RUN_BYTES) / averageRunBytes)));
}

/** Groups sorted chunk numbers into runs of consecutive chunks, at most `maxCount` long. */
export function consecutiveRuns(chunks: readonly number[], maxCount: number): ChunkRun[] {
  const runs: ChunkRun[] = [];
  for (const chunk of chunks) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.first + last.count === chunk && last.count < maxCount) last.count += 1;
    else runs.push({ first: chunk, count: 1 });
  }
  return runs;
}
