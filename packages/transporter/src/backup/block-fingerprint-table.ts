/**
 * The per-block fingerprints of one disk (docs/repository-format.md §7) as a backup fills them: the table of
 * digests recorded while the disk is read (or by the source's own hashing pass), and the rules that keep
 * blocks and reads aligned.
 *
 * Blocks and chunks are both powers of two, so they nest. A block larger than a chunk covers whole chunks;
 * when only some chunks are read (a changed list), `wholeBlockChunks` widens the selection so that every
 * block touched is read entirely and can be hashed. Blocks never read are taken from the previous point,
 * whose bytes they share because every chunk under them was taken over.
 */
import { fingerprintBlockCount, sameFingerprintKind } from "@esxbackup/domain";
import type { ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";
import { BackupPlanRefusedError } from "./backup-plan-refused-error.js";

/** Kept well under what a reader accepts for one metadata file; a larger block makes it smaller. */
export const MAX_FINGERPRINTS_BYTES = 512 * 1024 * 1024;

/** The digests of every block of one disk, filled in any order. */
export class BlockFingerprintTable {
  readonly info: ChangeFingerprints;
  readonly sizeBytes: number;
  readonly blockCount: number;
  readonly digests: Buffer;
  readonly #recorded: Uint8Array;

  constructor(info: ChangeFingerprints, sizeBytes: number) {
    this.info = info;
    this.sizeBytes = sizeBytes;
    this.blockCount = fingerprintBlockCount(sizeBytes, info.blockSizeBytes);
    const bytes = this.blockCount * info.digestLengthBytes;
    if (bytes > MAX_FINGERPRINTS_BYTES) {
      throw new BackupPlanRefusedError({ reason: "fingerprints-too-large", sizeBytes, kind: info, fingerprintBytes: bytes, maxBytes: MAX_FINGERPRINTS_BYTES });
    }
    this.digests = Buffer.alloc(bytes);
    this.#recorded = new Uint8Array(this.blockCount);
  }

  /** Records the digests of consecutive blocks, the first starting at `offsetBytes` (a block boundary). */
  record(offsetBytes: number, digests: Uint8Array): void {
    const first = offsetBytes / this.info.blockSizeBytes;
    const count = digests.byteLength / this.info.digestLengthBytes;
    if (!Number.isInteger(first) || !Number.isInteger(count) || first + count > this.blockCount) {
      throw new Error(`fingerprints at offset ${offsetBytes} (${digests.byteLength} bytes) do not fit the disk's blocks`);
    }
    this.digests.set(digests, first * this.info.digestLengthBytes);
    this.#recorded.fill(1, first, first + count);
  }

  /**
   * Takes every block not recorded from `previous`. Only sound when those blocks hold the same bytes at the
   * same place in both disks, which the caller ensures by reading every block any read or new chunk touches.
   */
  fillFrom(previous: DiskFingerprints): void {
    if (!sameFingerprintKind(previous, this.info)) throw new Error("previous fingerprints are of another kind");
    const previousCount = fingerprintBlockCount(previous.sizeBytes, previous.blockSizeBytes);
    const length = this.info.digestLengthBytes;
    for (let block = 0; block < this.blockCount; block += 1) {
      if (this.#recorded[block] === 1) continue;
      if (block >= previousCount) throw new Error(`block ${block} was neither read nor in the previous point`);
      this.digests.set(previous.digests.subarray(block * length, (block + 1) * length), block * length);
      this.#recorded[block] = 1;
    }
  }

  /** Throws naming the first block never recorded; the table is then whole. */
  toDiskFingerprints(): DiskFingerprints {
    const missing = this.#recorded.indexOf(0);
    if (missing !== -1) throw new Error(`fingerprint of block ${missing} (offset ${missing * this.info.blockSizeBytes}) was never computed`);
    return { ...this.info, sizeBytes: this.sizeBytes, digests: this.digests };
  }
}

/**
 * Widens a sorted chunk selection so every block it touches is read whole (only matters when a block
 * covers several chunks). Sorted and distinct in, sorted and distinct out.
 */
export function wholeBlockChunks(chunks: readonly number[], chunkSizeBytes: number, blockSizeBytes: number, chunkCount: number): number[] {
  if (blockSizeBytes <= chunkSizeBytes) return [...chunks];
  const perBlock = blockSizeBytes / chunkSizeBytes;
  const result: number[] = [];
  for (const chunk of chunks) {
    const first = Math.floor(chunk / perBlock) * perBlock;
    const start = Math.max(first, (result[result.length - 1] ?? -1) + 1);
    for (let next = start; next < Math.min(first + perBlock, chunkCount); next += 1) result.push(next);
  }
  return result;
}

/** How many chunks a read may hold so that a run starting on a block boundary ends on one too. */
export function blockAlignedRunChunks(runBytes: number, chunkSizeBytes: number, blockSizeBytes: number | undefined): number {
  const chunks = Math.max(1, Math.floor(runBytes / chunkSizeBytes));
  if (blockSizeBytes === undefined || blockSizeBytes <= chunkSizeBytes) return chunks;
  const perBlock = blockSizeBytes / chunkSizeBytes;
  return Math.max(perBlock, Math.floor(chunks / perBlock) * perBlock);
}
