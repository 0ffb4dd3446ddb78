/**
 * Which fingerprints to ask the host for, for one disk: the previous point's kind when it has one the
 * repository can hold for this disk's size (the two sets then compare without a re-hash), else the default
 * (sha1 per 64 KiB, docs/adr/0019), with the block doubled until the table fits. A point's fingerprint
 * file holds at most 512 MiB of plaintext (docs/repository-format.md §7), which at sha1/64 KiB is a disk
 * of about 1.6 TiB; ESXi disks reach 62 TiB.
 *
 * Also how many parts to hash a disk in, so that no single command's output (41 bytes a block for sha1)
 * has to be held as one string: at most 2^20 blocks, about 41 MB, per part.
 */
import { FINGERPRINT_ALGORITHMS, MAX_FINGERPRINT_BLOCK_BYTES, fingerprintBlockCount, isFingerprintAlgorithm } from "@esxbackup/domain";
import type { ChangeFingerprints } from "@esxbackup/domain";
import { DEFAULT_HOST_FINGERPRINTS } from "./hashing-method.js";
import type { HostDiskKind } from "./host-disk-hashing.js";

/** docs/repository-format.md §7: the reference writer refuses a larger fingerprint file. */
export const MAX_FINGERPRINT_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_BLOCKS_PER_HASH_PART = 1 << 20;

export function chooseHostFingerprintKind(sizeBytes: number, previous?: ChangeFingerprints): HostDiskKind {
  const fits = (algorithm: keyof typeof FINGERPRINT_ALGORITHMS, blockSizeBytes: number): boolean =>
    4 + fingerprintBlockCount(sizeBytes, blockSizeBytes) * FINGERPRINT_ALGORITHMS[algorithm] <= MAX_FINGERPRINT_FILE_BYTES;
  if (previous !== undefined && isFingerprintAlgorithm(previous.algorithm) && previous.blockSizeBytes <= MAX_FINGERPRINT_BLOCK_BYTES && fits(previous.algorithm, previous.blockSizeBytes)) {
    return { algorithm: previous.algorithm, blockSizeBytes: previous.blockSizeBytes };
  }
  let blockSizeBytes: number = DEFAULT_HOST_FINGERPRINTS.blockSizeBytes;
  while (!fits(DEFAULT_HOST_FINGERPRINTS.algorithm, blockSizeBytes) && blockSizeBytes < MAX_FINGERPRINT_BLOCK_BYTES) blockSizeBytes *= 2;
  return { algorithm: DEFAULT_HOST_FINGERPRINTS.algorithm, blockSizeBytes };
}

/** At least `channels` parts (one per channel), more when a part would exceed MAX_BLOCKS_PER_HASH_PART. */
export function hashPartCount(sizeBytes: number, blockSizeBytes: number, channels: number): number {
  return Math.max(channels, Math.ceil(fingerprintBlockCount(sizeBytes, blockSizeBytes) / MAX_BLOCKS_PER_HASH_PART));
}
