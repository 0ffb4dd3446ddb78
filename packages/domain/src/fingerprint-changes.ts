/**
 * Which byte ranges of a disk changed between two sets of block fingerprints (docs/repository-format.md
 * §7). A pure decision: the transporter (or `repo backup-image --detect-changes fingerprints`) hashes the
 * new disk, this compares, and only chunks overlapping the result are read and stored.
 *
 * Block `i` is unchanged only when it covers the same bytes in both disks (same offset and length) and its
 * digests are equal. So a disk that grew has its new tail changed, and the block at the old end of a disk
 * that grew or shrank (its length differs) is changed too.
 */
import { describeFingerprintKind, fingerprintBlockCount, sameFingerprintKind } from "./block-fingerprints.js";
import type { DiskFingerprints } from "./block-fingerprints.js";
import type { ByteRange } from "./changed-ranges.js";
import { InvalidInputError } from "./invalid-input-error.js";

/**
 * The changed ranges of `current` relative to `previous`, sorted, adjacent changed blocks merged into one
 * range, the last range clipped to `current.sizeBytes`. Throws an InvalidInputError when the two are of
 * different kinds (algorithm, block size) or a digest buffer has the wrong length.
 */
export function changedRangesFromFingerprints(previous: DiskFingerprints, current: DiskFingerprints): ByteRange[] {
  if (!sameFingerprintKind(previous, current)) {
    throw new InvalidInputError(
      "fingerprints",
      `cannot compare ${describeFingerprintKind(current)} with the previous ${describeFingerprintKind(previous)}`,
    );
  }
  checkLength(previous, "previous");
  checkLength(current, "new");
  const block = current.blockSizeBytes;
  const digestBytes = current.digestLengthBytes;
  const previousCount = fingerprintBlockCount(previous.sizeBytes, block);
  const currentCount = fingerprintBlockCount(current.sizeBytes, block);
  const blockLength = (sizeBytes: number, index: number): number => Math.min(block, sizeBytes - index * block);
  const ranges: ByteRange[] = [];
  for (let index = 0; index < currentCount; index += 1) {
    const start = index * digestBytes;
    const unchanged =
      index < previousCount &&
      blockLength(previous.sizeBytes, index) === blockLength(current.sizeBytes, index) &&
      Buffer.compare(previous.digests.subarray(start, start + digestBytes), current.digests.subarray(start, start + digestBytes)) === 0;
    if (unchanged) continue;
    const offsetBytes = index * block;
    const lengthBytes = blockLength(current.sizeBytes, index);
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.offsetBytes + last.lengthBytes === offsetBytes) last.lengthBytes += lengthBytes;
    else ranges.push({ offsetBytes, lengthBytes });
  }
  return ranges;
}

function checkLength(fingerprints: DiskFingerprints, which: string): void {
  const expected = fingerprintBlockCount(fingerprints.sizeBytes, fingerprints.blockSizeBytes) * fingerprints.digestLengthBytes;
  if (fingerprints.digests.byteLength !== expected) {
    throw new InvalidInputError(
      "fingerprints",
      `the ${which} fingerprints hold ${fingerprints.digests.byteLength} bytes, expected ${expected} for a ${fingerprints.sizeBytes}-byte disk`,
    );
  }
}
