/**
 * What a chunk is on disk, as pure functions: its digest (SHA-256, or HMAC-SHA-256 keyed by the id key),
 * the all-zero test, and its envelope. Runs on the main thread or in a worker (chunk-worker.ts).
 */
import { createHash, createHmac } from "node:crypto";
import type { ChunkDigest } from "@esxbackup/domain";
import { DEFAULT_COMPRESSION_LEVEL, EnvelopeKind, EnvelopeError, chunkEnvelopeBound, openEnvelope, sealChunkInto, sealEnvelope } from "./envelope.js";
import type { RepositoryKeys } from "./repository-keys.js";

export function chunkDigest(plain: Uint8Array, keys: RepositoryKeys | undefined): ChunkDigest {
  const hash = keys === undefined ? createHash("sha256") : createHmac("sha256", keys.idKey);
  return hash.update(plain).digest("hex") as ChunkDigest;
}

export function isAllZero(data: Uint8Array): boolean {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Compare in 64 KiB slices against one shared zero buffer: native memcmp speed, no allocation per call.
  for (let offset = 0; offset < view.byteLength; offset += ZERO_SLICE.byteLength) {
    const end = Math.min(view.byteLength, offset + ZERO_SLICE.byteLength);
    if (!view.subarray(offset, end).equals(ZERO_SLICE.subarray(0, end - offset))) return false;
  }
  return true;
}
const ZERO_SLICE = Buffer.alloc(64 * 1024);

export type EncodedChunk = { zero: true } | { zero: false; digest: ChunkDigest; bytes: Buffer };

export function encodeChunk(plain: Uint8Array, keys: RepositoryKeys | undefined, level = DEFAULT_COMPRESSION_LEVEL): EncodedChunk {
  if (isAllZero(plain)) return { zero: true };
  return { zero: false, digest: chunkDigest(plain, keys), bytes: sealEnvelope(EnvelopeKind.chunk, plain, keys, level) };
}

/** Consecutive chunks sealed into one buffer; `null` marks an all-zero chunk. */
export interface EncodedRun {
  buffer: Buffer;
  entries: ({ digest: ChunkDigest; offset: number; length: number } | null)[];
}

/** Encodes the consecutive chunks of `chunkBytes` in `plain` (the last may be shorter) into one buffer. */
export function encodeRun(plain: Uint8Array, chunkBytes: number, keys: RepositoryKeys | undefined, level = DEFAULT_COMPRESSION_LEVEL): EncodedRun {
  const chunks: (Uint8Array | null)[] = [];
  let bound = 0;
  for (let start = 0; start < plain.byteLength; start += chunkBytes) {
    const chunk = plain.subarray(start, Math.min(plain.byteLength, start + chunkBytes));
    const zero = isAllZero(chunk);
    chunks.push(zero ? null : chunk);
    if (!zero) bound += chunkEnvelopeBound(chunk.byteLength, keys !== undefined);
  }
  const buffer = Buffer.allocUnsafeSlow(bound);
  let offset = 0;
  const entries = chunks.map((chunk) => {
    if (chunk === null) return null;
    const length = sealChunkInto(buffer.subarray(offset), chunk, keys, level);
    const entry = { digest: chunkDigest(chunk, keys), offset, length };
    offset += length;
    return entry;
  });
  return { buffer, entries };
}

/** Returns the plaintext, or throws `EnvelopeError` saying what is wrong with it. */
export function decodeChunk(bytes: Uint8Array, expected: ChunkDigest, expectedBytes: number, keys: RepositoryKeys | undefined): Buffer {
  const plain = openEnvelope(EnvelopeKind.chunk, bytes, keys, expectedBytes);
  if (plain.byteLength !== expectedBytes) throw new EnvelopeError(`holds ${plain.byteLength} bytes, expected ${expectedBytes}`);
  if (chunkDigest(plain, keys) !== expected) throw new EnvelopeError("content does not match its digest");
  return plain;
}
