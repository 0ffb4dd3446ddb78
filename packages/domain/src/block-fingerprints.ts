/**
 * Per-block fingerprints of a disk (docs/repository-format.md §7): one digest per fixed-size block, in disk
 * order, the last block shorter when the disk size is not a multiple of the block size. They are what a
 * host can compute where the disk lives with the hash tools its busybox has (`md5sum`, `sha1sum`,
 * `sha256sum` over `dd` blocks), so comparing two sets tells which blocks changed without moving the data.
 *
 * The block size is a power of two between 4 KiB and 16 MiB, the same bounds as the chunk size, so blocks
 * and chunks always nest: one of the two sizes divides the other and no block straddles a chunk boundary
 * unless it covers whole chunks.
 */
import { InvalidInputError } from "./invalid-input-error.js";
import type { ChangeFingerprints } from "./recovery-point.js";

/** The algorithms a writer may record, with their digest length in bytes. */
export const FINGERPRINT_ALGORITHMS = { md5: 16, sha1: 20, sha256: 32 } as const;
export type FingerprintAlgorithm = keyof typeof FINGERPRINT_ALGORITHMS;

export const MIN_FINGERPRINT_BLOCK_BYTES = 4 * 1024;
export const MAX_FINGERPRINT_BLOCK_BYTES = 16 * 1024 * 1024;
export const DEFAULT_FINGERPRINT_BLOCK_BYTES = 64 * 1024;

/** The fingerprints of one whole disk: `digests` holds `fingerprintBlockCount(sizeBytes, blockSizeBytes)` digests. */
export interface DiskFingerprints extends ChangeFingerprints {
  sizeBytes: number;
  digests: Uint8Array;
}

export function isFingerprintAlgorithm(name: string): name is FingerprintAlgorithm {
  return Object.hasOwn(FINGERPRINT_ALGORITHMS, name);
}

export function fingerprintBlockCount(sizeBytes: number, blockSizeBytes: number): number {
  return Math.ceil(sizeBytes / blockSizeBytes);
}

/** Throws an InvalidInputError naming `field` unless `blockSizeBytes` is a power of two within the bounds. */
export function checkFingerprintBlockSize(blockSizeBytes: number, field: string): void {
  const powerOfTwo = Number.isSafeInteger(blockSizeBytes) && blockSizeBytes > 0 && (blockSizeBytes & (blockSizeBytes - 1)) === 0;
  if (!powerOfTwo || blockSizeBytes < MIN_FINGERPRINT_BLOCK_BYTES || blockSizeBytes > MAX_FINGERPRINT_BLOCK_BYTES) {
    throw new InvalidInputError(
      field,
      `the block size must be a power of two from ${MIN_FINGERPRINT_BLOCK_BYTES} (4K) to ${MAX_FINGERPRINT_BLOCK_BYTES} (16M) bytes (got ${blockSizeBytes})`,
    );
  }
}

/** True when digests of `a` and `b` can be compared block by block. */
export function sameFingerprintKind(a: ChangeFingerprints, b: ChangeFingerprints): boolean {
  return a.algorithm === b.algorithm && a.blockSizeBytes === b.blockSizeBytes && a.digestLengthBytes === b.digestLengthBytes;
}

/** "md5 per 65536-byte block", for messages. */
export function describeFingerprintKind(kind: ChangeFingerprints): string {
  return `${kind.algorithm} per ${kind.blockSizeBytes}-byte block`;
}
