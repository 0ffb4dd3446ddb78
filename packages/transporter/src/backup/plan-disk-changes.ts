/**
 * The pure decision at the heart of an incremental backup of one disk: given the fingerprints the host just
 * computed for the frozen disk (esxi/hashing) and what the previous point holds, which bytes to read over
 * the wire and how to build each chunk of the new point (docs/adr/0019).
 *
 * - No previous point: every non-zero block is read; chunks are new or zero.
 * - A previous point whose fingerprints cannot be compared (none recorded — made by `repo backup-image`
 *   without them or by another tool —, another algorithm or block size, a digest table of the wrong length):
 *   `re-hash-previous`. The caller hashes the previous point's disk from the repository at the host's kind
 *   and plans again; the disk is never transferred whole for want of comparable fingerprints.
 * - Otherwise the domain's `changedRangesFromFingerprints` gives the changed blocks (a grown tail and a block
 *   whose length changed count as changed). Blocks the host found all zero are never read. Each chunk is
 *   then: taken over (no changed block, same length as before), zero (every block zero), new (every block
 *   changed: built from read blocks and zeros alone) or patched (the previous point's chunk with the changed
 *   blocks laid over it, cut or extended to the new length), so a 64 KiB change costs 64 KiB on the wire,
 *   not a chunk. A disk resized since the previous point needs no re-hash: its last chunk is patched to the
 *   new length even when no block in it changed.
 */
import { changedRangesFromFingerprints, describeFingerprintKind, fingerprintBlockCount, sameFingerprintKind } from "@esxbackup/domain";
import type { ByteRange, ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";

export interface DiskChangeInput {
  chunkSizeBytes: number;
  /** What the host computed for the frozen disk; `zeroBlocks[i]` is 1 where block i is all zero. */
  current: { fingerprints: DiskFingerprints; zeroBlocks: Uint8Array };
  /** The disk in the point this backup builds on; absent for a first backup. */
  previous?: { sizeBytes: number; fingerprints?: DiskFingerprints };
}

/** How chunk `index` of the new point is built; chunks not listed are taken over from the previous point. */
export interface ChunkBuild {
  index: number;
  /** zero: all-zero chunk; new: from read blocks and zeros only; patch: the previous chunk + changed blocks. */
  kind: "zero" | "new" | "patch";
}

export type DiskChangePlan =
  | { kind: "re-hash-previous"; reason: string }
  | {
      kind: "read";
      /** Byte ranges to read from the host, sorted, adjacent blocks merged, all-zero blocks left out. */
      readRanges: ByteRange[];
      chunks: ChunkBuild[];
      /**
       * The changed blocks the host found all zero, never read, sorted, adjacent ones merged: a patched chunk
       * must have them zeroed over the previous chunk's bytes.
       */
      zeroRanges: ByteRange[];
      /** Bytes of changed blocks the host found all zero (never read). */
      zeroBytesSkipped: number;
    };

export function planDiskChanges(input: DiskChangeInput): DiskChangePlan {
  const { chunkSizeBytes, current, previous } = input;
  const fingerprints = current.fingerprints;
  const block = fingerprints.blockSizeBytes;
  const blockCount = fingerprintBlockCount(fingerprints.sizeBytes, block);
  if (current.zeroBlocks.length !== blockCount) throw new Error(`zeroBlocks has ${current.zeroBlocks.length} entries for ${blockCount} blocks`);
  const changed = new Uint8Array(blockCount);
  if (previous === undefined) {
    changed.fill(1);
  } else {
    const problem = incomparable(previous, fingerprints);
    if (problem !== undefined) return { kind: "re-hash-previous", reason: problem };
    // Checked comparable above, so this does not throw.
    for (const range of changedRangesFromFingerprints(previous.fingerprints as DiskFingerprints, fingerprints)) {
      changed.fill(1, range.offsetBytes / block, fingerprintBlockCount(range.offsetBytes + range.lengthBytes, block));
    }
  }
  const readRanges: ByteRange[] = [];
  const zeroRanges: ByteRange[] = [];
  let zeroBytesSkipped = 0;
  for (let index = 0; index < blockCount; index += 1) {
    if (changed[index] !== 1) continue;
    const offsetBytes = index * block;
    const lengthBytes = Math.min(block, fingerprints.sizeBytes - offsetBytes);
    if (current.zeroBlocks[index] === 1) zeroBytesSkipped += lengthBytes;
    appendMerged(current.zeroBlocks[index] === 1 ? zeroRanges : readRanges, { offsetBytes, lengthBytes });
  }
  return { kind: "read", readRanges, zeroRanges, chunks: chunkBuilds(chunkSizeBytes, fingerprints.sizeBytes, block, changed, current.zeroBlocks, previous?.sizeBytes), zeroBytesSkipped };
}

function appendMerged(ranges: ByteRange[], range: ByteRange): void {
  const last = ranges[ranges.length - 1];
  if (last !== undefined && last.offsetBytes + last.lengthBytes === range.offsetBytes) last.lengthBytes += range.lengthBytes;
  else ranges.push(range);
}

/**
 * Why the previous disk's fingerprints cannot be compared with ones of `current`'s kind as recorded (they
 * must then be computed again), or undefined when they can. Looks at the kind and sizes only.
 */
export function incomparable(previous: { sizeBytes: number; fingerprints?: DiskFingerprints | undefined }, current: ChangeFingerprints): string | undefined {
  const old = previous.fingerprints;
  if (old === undefined) return "the previous point has no fingerprints for this disk (made without change detection or by another program)";
  if (!sameFingerprintKind(old, current)) return `the previous point's fingerprints are ${describeFingerprintKind(old)}, the host's ${describeFingerprintKind(current)}`;
  if (old.sizeBytes !== previous.sizeBytes) return `the previous point's fingerprints describe ${old.sizeBytes} bytes, its disk holds ${previous.sizeBytes}`;
  const expected = fingerprintBlockCount(old.sizeBytes, old.blockSizeBytes) * old.digestLengthBytes;
  if (old.digests.byteLength !== expected) return `the previous point's fingerprints hold ${old.digests.byteLength} bytes of digests, expected ${expected}`;
  return undefined;
}

function chunkBuilds(chunk: number, sizeBytes: number, block: number, changed: Uint8Array, zero: Uint8Array, previousSizeBytes: number | undefined): ChunkBuild[] {
  const builds: ChunkBuild[] = [];
  const chunkLength = (size: number, index: number): number => Math.max(0, Math.min(chunk, size - index * chunk));
  for (let index = 0; index < Math.ceil(sizeBytes / chunk); index += 1) {
    const start = index * chunk;
    const first = Math.floor(start / block);
    const last = Math.floor((start + chunkLength(sizeBytes, index) - 1) / block);
    let anyChanged = false;
    let allChanged = true;
    let allZero = true;
    for (let b = first; b <= last; b += 1) {
      if (changed[b] === 1) anyChanged = true;
      else allChanged = false;
      if (zero[b] !== 1) allZero = false;
    }
    const sameLength = previousSizeBytes !== undefined && chunkLength(previousSizeBytes, index) === chunkLength(sizeBytes, index);
    if (!anyChanged && sameLength) continue;
    if (allZero) builds.push({ index, kind: "zero" });
    else if (allChanged) builds.push({ index, kind: "new" });
    else builds.push({ index, kind: "patch" });
  }
  return builds;
}
