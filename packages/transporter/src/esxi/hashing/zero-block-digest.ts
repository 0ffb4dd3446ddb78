/**
 * The digest of `lengthBytes` zero bytes. The host prints `Z` for an all-zero block instead of its digest;
 * the fingerprints still record a digest for it (docs/repository-format.md §7), this one, so that a point's
 * `.fpr` file does not depend on how the host hashed. Cached: a disk has at most two block lengths.
 */
import { createHash } from "node:crypto";
import type { FingerprintAlgorithm } from "@esxbackup/domain";

const cache = new Map<string, Buffer>();

export function zeroBlockDigest(algorithm: FingerprintAlgorithm, lengthBytes: number): Buffer {
  const key = `${algorithm}:${lengthBytes}`;
  let digest = cache.get(key);
  if (digest === undefined) {
    digest = createHash(algorithm).update(Buffer.alloc(lengthBytes)).digest();
    cache.set(key, digest);
  }
  return digest;
}
