/**
 * Which fingerprints to ask the host for, for one disk: the previous point's kind when it has one the
 * repository can hold for this disk's size (the two sets then compare without a re-hash), else the default
 * (sha1 per 64 KiB, docs/adr/0019), with the block doubled until the table fits. A point's fingerprint
 * file holds at most 512 MiB of plaintext (docs/repository-format.md §7), which at sha1/64 KiB is a disk
 * of about 1.6 TiB; ESXi disks reach 62 TiB.
 *
 * Also how many parts to hash a disk in, so that no single command's output (41 bytes a block for sha1)
 * has to be held as one string: at most 2^20 blocks, about 41 MB, per part; and, under a limit on what the
 * host reads from its datastore (docs/adr/0035), parts small enough to pace: about a second at the limit.
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

/**
 * At least `channels` parts (one per channel), more when a part would exceed MAX_BLOCKS_PER_HASH_PART, and
 * under a host read limit (bytes per second) more again, so that no part exceeds hostReadHashPartBytes.
 * Without a limit the parts are exactly as they were before the limit existed.
 */
export function hashPartCount(sizeBytes: number, blockSizeBytes: number, channels: number, hostReadBytesPerSecond?: number): number {
  const blocks = fingerprintBlockCount(sizeBytes, blockSizeBytes);
  const count = Math.max(channels, Math.ceil(blocks / MAX_BLOCKS_PER_HASH_PART));
  if (hostReadBytesPerSecond === undefined) return count;
  const blocksPerPart = hostReadHashPartBytes(hostReadBytesPerSecond, blockSizeBytes) / blockSizeBytes;
  return Math.max(count, Math.ceil(blocks / blocksPerPart));
}

/** Parts of the host's hash pass no smaller than this under a host read limit: a 1 MiB read is milliseconds of any datastore. */
export const MIN_HOST_READ_HASH_PART_BYTES = 1024 * 1024;
/** Nor larger: above ~1 GiB/s the limit is faster than a host hashes (about 700 MB/s, docs/adr/0028) and paces nothing. */
export const MAX_HOST_READ_HASH_PART_BYTES = 1024 * 1024 * 1024;

/**
 * The most a part of the host's hash pass may read under a host read limit of `bytesPerSecond`
 * (docs/adr/0035): one second at the limit, in whole blocks, between MIN_ and MAX_HOST_READ_HASH_PART_BYTES
 * (and at least one block). Each part's bytes are taken from the run's limiter before its command starts,
 * so a part is the grain of the pacing: about one part a second whatever the rate (a command start, an
 * SSH exec and a Python start on the host, costs the same share of a second at any limit), and over any
 * window of T seconds the host reads at most the limit × T plus one part (or one 4 MiB burst, the larger).
 */
export function hostReadHashPartBytes(bytesPerSecond: number, blockSizeBytes: number): number {
  if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0)) throw new RangeError(`a host read limit must be a positive number of bytes per second (got ${bytesPerSecond})`);
  if (!(Number.isSafeInteger(blockSizeBytes) && blockSizeBytes > 0)) throw new RangeError(`a block is a whole number of bytes > 0 (got ${blockSizeBytes})`);
  const bytes = Math.min(MAX_HOST_READ_HASH_PART_BYTES, Math.max(MIN_HOST_READ_HASH_PART_BYTES, bytesPerSecond));
  return Math.max(1, Math.floor(bytes / blockSizeBytes)) * blockSizeBytes;
}
