/** Deterministic pseudo-random bytes for the initial data of a disk region (AES-128-CTR of zeros). */
import { createCipheriv, createHash } from "node:crypto";

/** The bytes at `offsetBytes` of the stream named by `seed`; `offsetBytes` must be a multiple of 16. */
export function seededBytes(seed: string, offsetBytes: number, length: number): Buffer {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offsetBytes / 16)), 8);
  return createCipheriv("aes-128-ctr", key, iv).update(Buffer.alloc(length));
}
