/**
 * What a chunk is on disk, as pure functions: its digest (SHA-256, or HMAC-SHA-256 keyed by the id key),
 * the all-zero test, and its envelope. Runs on the main thread or in a worker (chunk-worker.ts).
 */
import { createHash, createHmac } from "node:crypto";
import type { ChunkDigest } from "@esxbackup/domain";
import { DEFAULT_COMPRESSION_LEVEL, EnvelopeKind, EnvelopeError, chunkEnvelopeBound, openEnvelope, sealChunkInto, sealEnvelope } from "./envelope.js";
import type { Opening, Sealing } from "./envelope.js";

/** `idKey`: the key chunk names are HMACs under (encrypted repositories); undefined: plain SHA-256. */
export function chunkDigest(plain: Uint8Array, idKey: Uint8Array | undefined): ChunkDigest {
  const hash = idKey === undefined ? createHash("sha256") : createHmac("sha256", idKey);
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

export function encodeChunk(plain: Uint8Array, idKey: Uint8Array | undefined, sealing: Sealing, level = DEFAULT_COMPRESSION_LEVEL): EncodedChunk {
  if (isAllZero(plain)) return { zero: true };
  return { zero: false, digest: chunkDigest(plain, idKey), bytes: sealEnvelope(EnvelopeKind.chunk, plain, sealing, level) };
}

/** Chunk `position` of a run of consecutive chunks of `chunkBytes` (the last may be shorter). */
function chunkOfRun(plain: Uint8Array, chunkBytes: number, position: number): Uint8Array {
  const start = position * chunkBytes;
  return plain.subarray(start, Math.min(plain.byteLength, start + chunkBytes));
}

/** The digest of each chunk of a run, or null for an all-zero chunk. */
export function digestRun(plain: Uint8Array, chunkBytes: number, idKey: Uint8Array | undefined): (ChunkDigest | null)[] {
  const digests: (ChunkDigest | null)[] = [];
  for (let position = 0; position * chunkBytes < plain.byteLength; position += 1) {
    const chunk = chunkOfRun(plain, chunkBytes, position);
    digests.push(isAllZero(chunk) ? null : chunkDigest(chunk, idKey));
  }
  return digests;
}

/** Envelopes sealed one after the other into one buffer. */
export interface SealedRun {
  buffer: Buffer;
  envelopes: { offset: number; length: number }[];
}

/** Seals the chunks at `positions` of a run into one buffer, in that order: `spare` when it is big enough. */
export function sealRun(
  plain: Uint8Array,
  chunkBytes: number,
  positions: readonly number[],
  sealing: Sealing,
  level = DEFAULT_COMPRESSION_LEVEL,
  spare?: ArrayBuffer,
): SealedRun {
  const chunks = positions.map((position) => chunkOfRun(plain, chunkBytes, position));
  const bound = chunks.reduce((sum, chunk) => sum + chunkEnvelopeBound(chunk.byteLength, sealing.cipher !== undefined, sealing.version), 0);
  const buffer = spare !== undefined && spare.byteLength >= bound ? Buffer.from(spare) : Buffer.allocUnsafeSlow(bound);
  let offset = 0;
  const envelopes = chunks.map((chunk) => {
    const length = sealChunkInto(buffer.subarray(offset), chunk, sealing, level);
    const envelope = { offset, length };
    offset += length;
    return envelope;
  });
  return { buffer, envelopes };
}

/** Returns the plaintext, or throws `EnvelopeError` saying what is wrong with it. */
export function decodeChunk(bytes: Uint8Array, expected: ChunkDigest, expectedBytes: number, idKey: Uint8Array | undefined, opening: Opening): Buffer {
  const plain = openEnvelope(EnvelopeKind.chunk, bytes, opening, expectedBytes);
  if (plain.byteLength !== expectedBytes) throw new EnvelopeError(`holds ${plain.byteLength} bytes, expected ${expectedBytes}`);
  if (chunkDigest(plain, idKey) !== expected) throw new EnvelopeError("content does not match its digest");
  return plain;
}
