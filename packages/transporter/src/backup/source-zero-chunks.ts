/**
 * Which chunks of a run a source found all zero, from its per-block zero map (a read that fingerprints,
 * docs/adr/0038), as consecutive groups of one kind: a chunk is zero when every block it overlaps was —
 * several blocks per chunk, or one block holding several chunks. Pure; the run's last chunk may be short
 * (the disk's end).
 */
export interface ChunkGroup {
  /** The group's first chunk, counted from the run's first. */
  first: number;
  count: number;
  /** Bytes of the group's chunks. */
  bytes: number;
  zero: boolean;
}

export function sourceZeroChunkGroups(input: { zeroBlocks: Uint8Array; blockSizeBytes: number; chunkSizeBytes: number; runBytes: number }): ChunkGroup[] {
  const { zeroBlocks, blockSizeBytes, chunkSizeBytes, runBytes } = input;
  const groups: ChunkGroup[] = [];
  for (let chunk = 0; chunk * chunkSizeBytes < runBytes; chunk += 1) {
    const start = chunk * chunkSizeBytes;
    const end = Math.min(runBytes, start + chunkSizeBytes);
    const blocks = zeroBlocks.subarray(Math.floor(start / blockSizeBytes), Math.ceil(end / blockSizeBytes));
    if (blocks.length === 0) throw new RangeError(`the zero map (${zeroBlocks.length} blocks of ${blockSizeBytes} bytes) does not cover bytes ${start}–${end} of the run`);
    const zero = blocks.every((flag) => flag === 1);
    const last = groups.at(-1);
    if (last !== undefined && last.zero === zero) {
      last.count += 1;
      last.bytes += end - start;
    } else groups.push({ first: chunk, count: 1, bytes: end - start, zero });
  }
  return groups;
}
