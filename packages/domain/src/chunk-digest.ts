/**
 * The name of a stored chunk: 32 bytes (SHA-256, or HMAC-SHA-256 in an encrypted repository), written as 64
 * lowercase hex digits. The all-zero digest is reserved: in a fixed index it marks an all-zero chunk that
 * is not stored (docs/repository-format.md §6).
 */
import type { Brand } from "./ids.js";
import { InvalidInputError } from "./invalid-input-error.js";

export type ChunkDigest = Brand<string, "ChunkDigest">;

export const CHUNK_DIGEST_BYTES = 32;
export const ZERO_CHUNK_DIGEST = "0".repeat(CHUNK_DIGEST_BYTES * 2) as ChunkDigest;

const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

export function parseChunkDigest(value: string): ChunkDigest {
  if (!DIGEST_PATTERN.test(value)) {
    throw new InvalidInputError("chunk digest", `must be 64 lowercase hex digits (got ${JSON.stringify(value)})`);
  }
  return value as ChunkDigest;
}

export function isZeroChunkDigest(digest: ChunkDigest): boolean {
  return digest === ZERO_CHUNK_DIGEST;
}
