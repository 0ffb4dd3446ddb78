/**
 * The envelope every chunk, index, fingerprint and manifest file is wrapped in (docs/repository-format.md
 * §5): a 16-byte header, then the payload — zstd-compressed when that is smaller, encrypted with
 * AES-256-GCM when the repository has keys. Pure functions (no I/O), also used inside worker threads.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { decompress } from "zstd-napi";
import zstdBinding from "zstd-napi/binding.js";
import type { RepositoryKeys } from "./repository-keys.js";

export const EnvelopeKind = { chunk: 1, index: 2, manifest: 3, fingerprints: 4 } as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

const MAGIC = Buffer.from("EXBK", "latin1");
const VERSION = 1;
const HEADER_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECKSUM_BYTES = 32;

/** zstd levels a repository may ask its writers for (config.json `compressionLevel`). */
export const MIN_COMPRESSION_LEVEL = 1;
export const MAX_COMPRESSION_LEVEL = 19;
/**
 * The level of new repositories, chosen by measurement (bench/README.md, "Compression level"): the lowest
 * that stores the benchmark's mixed image no larger than restic does, still faster than borg at level 1.
 */
export const DEFAULT_COMPRESSION_LEVEL = 4;
/** What writers used before the level was recorded in config.json. */
export const UNRECORDED_COMPRESSION_LEVEL = 1;

/** One zstd context per level and thread, reused: a context owns about a megabyte of tables. */
const contexts = new Map<number, InstanceType<typeof zstdBinding.CCtx>>();

function zstdContext(level: number): InstanceType<typeof zstdBinding.CCtx> {
  let context = contexts.get(level);
  if (context === undefined) {
    context = new zstdBinding.CCtx();
    context.setParameter(zstdBinding.CParameter.compressionLevel, level);
    contexts.set(level, context);
  }
  return context;
}

/**
 * Compresses `plain` into `target` when the result is strictly smaller than `plain`; returns its length,
 * or undefined when it does not fit (zstd gives up as soon as the output overflows, which makes the test
 * cheap for incompressible data).
 */
function compressInto(target: Buffer, plain: Uint8Array, level: number): number | undefined {
  if (plain.byteLength === 0) return undefined;
  try {
    return zstdContext(level).compress2(target.subarray(0, plain.byteLength - 1), plain);
  } catch {
    return undefined;
  }
}

/** The most bytes a chunk envelope of `plainBytes` can take (stored raw, plus header, nonce and tag). */
export function chunkEnvelopeBound(plainBytes: number, encrypted: boolean): number {
  return HEADER_BYTES + plainBytes + (encrypted ? NONCE_BYTES + TAG_BYTES : 0);
}

function writeHeader(target: Buffer, kind: EnvelopeKind, compressed: boolean, encrypted: boolean, plainBytes: number): void {
  MAGIC.copy(target, 0);
  target[4] = VERSION;
  target[5] = kind;
  target[6] = compressed ? 1 : 0;
  target[7] = encrypted ? 1 : 0;
  target.writeBigUInt64LE(BigInt(plainBytes), 8);
}

/**
 * Seals a chunk straight into `target` (at least `chunkEnvelopeBound` bytes) and returns the envelope's
 * length. Writing into a caller's buffer lets a worker seal a whole run of chunks into one allocation:
 * no copy of the compressed bytes, and one buffer to hand back instead of one per chunk.
 */
export function sealChunkInto(target: Buffer, plain: Uint8Array, keys: RepositoryKeys | undefined, level: number): number {
  const encrypted = keys !== undefined;
  const payloadAt = HEADER_BYTES + (encrypted ? NONCE_BYTES : 0);
  const compressedBytes = compressInto(target.subarray(payloadAt), plain, level);
  const payloadBytes = compressedBytes ?? plain.byteLength;
  if (compressedBytes === undefined) target.set(plain, payloadAt);
  writeHeader(target, EnvelopeKind.chunk, compressedBytes !== undefined, encrypted, plain.byteLength);
  if (!encrypted) return payloadAt + payloadBytes;
  const nonce = randomBytes(NONCE_BYTES);
  nonce.copy(target, HEADER_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keys.dataKey, nonce);
  cipher.setAAD(target.subarray(0, HEADER_BYTES));
  const payload = target.subarray(payloadAt, payloadAt + payloadBytes);
  // GCM is a stream cipher: the ciphertext has the payload's length and can replace it in place.
  cipher.update(payload).copy(payload);
  cipher.final();
  cipher.getAuthTag().copy(target, payloadAt + payloadBytes);
  return payloadAt + payloadBytes + TAG_BYTES;
}

/** Wraps `plain`; `keys` present means encrypt. */
export function sealEnvelope(kind: EnvelopeKind, plain: Uint8Array, keys: RepositoryKeys | undefined, level = DEFAULT_COMPRESSION_LEVEL): Buffer {
  if (kind === EnvelopeKind.chunk) {
    const target = Buffer.allocUnsafeSlow(chunkEnvelopeBound(plain.byteLength, keys !== undefined));
    return target.subarray(0, sealChunkInto(target, plain, keys, level));
  }
  const scratch = Buffer.allocUnsafe(Math.max(0, plain.byteLength - 1));
  const compressedBytes = compressInto(scratch, plain, level);
  const payload = compressedBytes === undefined ? plain : scratch.subarray(0, compressedBytes);
  const header = Buffer.alloc(HEADER_BYTES);
  writeHeader(header, kind, compressedBytes !== undefined, keys !== undefined, plain.byteLength);
  if (keys !== undefined) {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", keys.dataKey, nonce);
    cipher.setAAD(header);
    return Buffer.concat([header, nonce, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  }
  const withoutChecksum = Buffer.concat([header, payload]);
  return Buffer.concat([withoutChecksum, createHash("sha256").update(withoutChecksum).digest()]);
}

/** Why an envelope could not be opened; the caller adds the file name. */
export class EnvelopeError extends Error {}

/**
 * Unwraps an envelope, checking everything the format lets a reader check (kind, encryption matching the
 * repository, authentication tag or checksum, exact plaintext length, at most `maxPlainBytes`).
 */
export function openEnvelope(
  kind: EnvelopeKind,
  bytes: Uint8Array,
  keys: RepositoryKeys | undefined,
  maxPlainBytes: number,
): Buffer {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.byteLength < HEADER_BYTES) throw new EnvelopeError(`truncated: ${data.byteLength} bytes, shorter than the header`);
  if (!data.subarray(0, 4).equals(MAGIC)) throw new EnvelopeError("not an esxbackup file (bad magic)");
  if (data[4] !== VERSION) throw new EnvelopeError(`envelope version ${data[4]} is not supported`);
  if (data[5] !== kind) throw new EnvelopeError(`holds kind ${data[5]}, expected ${kind}`);
  const compression = data[6];
  const encryption = data[7];
  if (compression !== 0 && compression !== 1) throw new EnvelopeError(`unknown compression ${compression}`);
  if (encryption !== (keys === undefined ? 0 : 1)) {
    throw new EnvelopeError(encryption === 1 ? "is encrypted but the repository is not" : "is not encrypted but the repository is");
  }
  const plainBytes = Number(data.readBigUInt64LE(8));
  if (plainBytes > maxPlainBytes) throw new EnvelopeError(`declares ${plainBytes} bytes, more than the ${maxPlainBytes} allowed`);
  const header = data.subarray(0, HEADER_BYTES);
  let payload: Buffer;
  if (keys !== undefined) {
    if (data.byteLength < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) throw new EnvelopeError("truncated: no room for nonce and tag");
    const nonce = data.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const tag = data.subarray(data.byteLength - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", keys.dataKey, nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    try {
      payload = Buffer.concat([decipher.update(data.subarray(HEADER_BYTES + NONCE_BYTES, data.byteLength - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new EnvelopeError("authentication failed (damaged, or written with another key)");
    }
  } else if (kind === EnvelopeKind.chunk) {
    payload = data.subarray(HEADER_BYTES);
  } else {
    if (data.byteLength < HEADER_BYTES + CHECKSUM_BYTES) throw new EnvelopeError("truncated: no room for the checksum");
    const body = data.subarray(0, data.byteLength - CHECKSUM_BYTES);
    const expected = data.subarray(data.byteLength - CHECKSUM_BYTES);
    if (!createHash("sha256").update(body).digest().equals(expected)) throw new EnvelopeError("checksum mismatch (damaged or truncated)");
    payload = data.subarray(HEADER_BYTES, data.byteLength - CHECKSUM_BYTES);
  }
  let plain: Buffer;
  if (compression === 1) {
    try {
      plain = decompress(payload);
    } catch (error) {
      throw new EnvelopeError(`zstd data is damaged (${error instanceof Error ? error.message : String(error)})`);
    }
  } else {
    plain = payload;
  }
  if (plain.byteLength !== plainBytes) throw new EnvelopeError(`holds ${plain.byteLength} bytes, header says ${plainBytes}`);
  return plain;
}
