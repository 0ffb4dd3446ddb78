/**
 * One digest per block of `data`, concatenated: what `md5sum` (or `sha1sum`, `sha256sum`) prints for each
 * block in turn. `data` starts at a block boundary; only its last block may be short (the disk's end).
 */
import { createHash } from "node:crypto";

export function hashBlocks(algorithm: string, blockSizeBytes: number, data: Uint8Array): Buffer {
  const digests: Buffer[] = [];
  for (let start = 0; start < data.byteLength; start += blockSizeBytes) {
    digests.push(createHash(algorithm).update(data.subarray(start, Math.min(data.byteLength, start + blockSizeBytes))).digest());
  }
  // A fresh buffer (not a pooled slice) so the worker can transfer it.
  const result = Buffer.allocUnsafeSlow(digests.reduce((sum, digest) => sum + digest.byteLength, 0));
  let offset = 0;
  for (const digest of digests) offset += digest.copy(result, offset);
  return result;
}
