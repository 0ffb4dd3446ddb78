/**
 * The envelope every chunk, index, fingerprint, manifest and points-log file is wrapped in
 * (docs/repository-format.md §5): a header, then the payload — zstd-compressed when that is smaller,
 * encrypted with AES-256-GCM when the repository has keys. Pure functions (no I/O, no key material kept),
 * also used inside worker threads: the caller hands in the key to seal or open with.
 *
 * Envelope version 1 (repository format 1–2): a 16-byte header, sealed with the data key itself, the header
 * as associated data. Version 2 (format 3): a 32-byte header that also carries the id of the writer session
 * whose subkey sealed it (session-keys.ts), and the associated data adds the file's binding (repository id
 * and store key) so that a file copied over another one fails authentication.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { decompress } from "zstd-napi";
import zstdBinding from "zstd-napi/binding.js";
import { copyBytes } from "@esxbackup/domain";

export const EnvelopeKind = { chunk: 1, index: 2, manifest: 3, fingerprints: 4, pointsLog: 5 } as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

export type EnvelopeVersion = 1 | 2;
export const SESSION_ID_BYTES = 16;

/** How to seal: the envelope version, and for an encrypted repository the AES key and its session id. */
export interface Sealing {
  version: EnvelopeVersion;
  cipher?: { key: Uint8Array; sessionId: Uint8Array } | undefined;
}

/** How to open: the version expected, and for an encrypted repository the key of a session id (version 1: empty id). */
export interface Opening {
  version: EnvelopeVersion;
  keyFor?: ((sessionId: Buffer) => Uint8Array) | undefined;
}

const MAGIC = Buffer.from("EXBK", "latin1");
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
/**
 * The level a backup that holds a VM snapshot open compresses at while its encoders are behind (ADR 29,
 * `OpenOptions.compressionFloor`): the fastest.
 */
export const SNAPSHOT_BACKUP_COMPRESSION_FLOOR = 1;
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

const headerBytes = (version: EnvelopeVersion): number => (version === 1 ? 16 : 16 + SESSION_ID_BYTES);

/** The most bytes a chunk envelope of `plainBytes` can take (stored raw, plus header, nonce and tag). */
export function chunkEnvelopeBound(plainBytes: number, encrypted: boolean, version: EnvelopeVersion = 2): number {
  return headerBytes(version) + plainBytes + (encrypted ? NONCE_BYTES + TAG_BYTES : 0);
}

function writeHeader(target: Buffer, kind: EnvelopeKind, compressed: boolean, sealing: Sealing, plainBytes: number): void {
  MAGIC.copy(target, 0);
  target[4] = sealing.version;
  target[5] = kind;
  target[6] = compressed ? 1 : 0;
  target[7] = sealing.cipher !== undefined ? 1 : 0;
  target.writeBigUInt64LE(BigInt(plainBytes), 8);
  if (sealing.version === 2) {
    if (sealing.cipher === undefined) target.fill(0, 16, 16 + SESSION_ID_BYTES);
    else if (sealing.cipher.sessionId.byteLength !== SESSION_ID_BYTES) throw new Error(`a session id has ${SESSION_ID_BYTES} bytes`);
    else target.set(sealing.cipher.sessionId, 16);
  }
}

/**
 * What the authentication covers besides the payload: the header and, in version 2, the file's binding (for
 * every kind but chunks, whose name is checked against their plaintext instead).
 */
function associatedData(header: Buffer, binding: string | undefined): Buffer {
  return binding === undefined || binding === "" ? header : Buffer.concat([header, Buffer.from(binding, "utf8")]);
}

/**
 * Seals a chunk straight into `target` (at least `chunkEnvelopeBound` bytes) and returns the envelope's
 * length. Writing into a caller's buffer lets a worker seal a whole run of chunks into one allocation:
 * no copy of the compressed bytes, and one buffer to hand back instead of one per chunk.
 */
export function sealChunkInto(target: Buffer, plain: Uint8Array, sealing: Sealing, level: number): number {
  const cipherKey = sealing.cipher;
  const header = headerBytes(sealing.version);
  const payloadAt = header + (cipherKey !== undefined ? NONCE_BYTES : 0);
  const compressedBytes = compressInto(target.subarray(payloadAt), plain, level);
  const payloadBytes = compressedBytes ?? plain.byteLength;
  // Stored raw: `plain` is usually a view of the shared landing, `payloadAt` wherever the run's previous chunk ended.
  if (compressedBytes === undefined) copyBytes(plain, target, payloadAt);
  writeHeader(target, EnvelopeKind.chunk, compressedBytes !== undefined, sealing, plain.byteLength);
  if (cipherKey === undefined) return payloadAt + payloadBytes;
  const nonce = randomBytes(NONCE_BYTES);
  nonce.copy(target, header);
  const cipher = createCipheriv("aes-256-gcm", cipherKey.key, nonce);
  cipher.setAAD(target.subarray(0, header));
  const payload = target.subarray(payloadAt, payloadAt + payloadBytes);
  // GCM is a stream cipher: the ciphertext has the payload's length and can replace it in place.
  cipher.update(payload).copy(payload);
  cipher.final();
  cipher.getAuthTag().copy(target, payloadAt + payloadBytes);
  return payloadAt + payloadBytes + TAG_BYTES;
}

/**
 * Wraps `plain`. `binding` (version 2, every kind but chunks) names the file the envelope is for —
 * "<repositoryId>/<store key>" — and is authenticated, not stored: a reader must expect the same.
 */
export function sealEnvelope(kind: EnvelopeKind, plain: Uint8Array, sealing: Sealing, level = DEFAULT_COMPRESSION_LEVEL, binding?: string): Buffer {
  if (kind === EnvelopeKind.chunk) {
    const target = Buffer.allocUnsafeSlow(chunkEnvelopeBound(plain.byteLength, sealing.cipher !== undefined, sealing.version));
    return target.subarray(0, sealChunkInto(target, plain, sealing, level));
  }
  const bound = bindingOf(sealing.version, kind, binding);
  const scratch = Buffer.allocUnsafe(Math.max(0, plain.byteLength - 1));
  const compressedBytes = compressInto(scratch, plain, level);
  const payload = compressedBytes === undefined ? plain : scratch.subarray(0, compressedBytes);
  const header = Buffer.alloc(headerBytes(sealing.version));
  writeHeader(header, kind, compressedBytes !== undefined, sealing, plain.byteLength);
  if (sealing.cipher !== undefined) {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", sealing.cipher.key, nonce);
    cipher.setAAD(associatedData(header, bound));
    return Buffer.concat([header, nonce, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  }
  const withoutChecksum = Buffer.concat([header, payload]);
  return Buffer.concat([withoutChecksum, checksum(withoutChecksum, bound)]);
}

function bindingOf(version: EnvelopeVersion, kind: EnvelopeKind, binding: string | undefined): string | undefined {
  if (version === 1 || kind === EnvelopeKind.chunk) return undefined;
  if (binding === undefined || binding === "") throw new Error("a version-2 envelope of this kind is bound to its file: give the binding");
  return binding;
}

function checksum(headerAndPayload: Buffer, binding: string | undefined): Buffer {
  const hash = createHash("sha256").update(headerAndPayload);
  if (binding !== undefined) hash.update(binding, "utf8");
  return hash.digest();
}

/** Why an envelope could not be opened; the caller adds the file name. */
export class EnvelopeError extends Error {}

/**
 * The session id in a version-2 envelope's header (whose subkey opens it); an empty buffer for version 1 or
 * an unencrypted envelope. Throws `EnvelopeError` when the header is too short to hold one.
 */
export function envelopeSessionId(bytes: Uint8Array): Buffer {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.byteLength < 8 || data[4] !== 2 || data[7] !== 1) return Buffer.alloc(0);
  if (data.byteLength < headerBytes(2)) throw new EnvelopeError(`truncated: ${data.byteLength} bytes, shorter than the header`);
  return Buffer.from(data.subarray(16, 16 + SESSION_ID_BYTES));
}

/**
 * Unwraps an envelope, checking everything the format lets a reader check (version and kind, encryption
 * matching the repository, authentication tag or checksum over the header and the binding, exact plaintext
 * length, at most `maxPlainBytes`).
 */
export function openEnvelope(kind: EnvelopeKind, bytes: Uint8Array, opening: Opening, maxPlainBytes: number, binding?: string): Buffer {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = opening.version;
  const headerLength = headerBytes(version);
  if (data.byteLength < 8) throw new EnvelopeError(`truncated: ${data.byteLength} bytes, shorter than the header`);
  if (!data.subarray(0, 4).equals(MAGIC)) throw new EnvelopeError("not an esxbackup file (bad magic)");
  if (data[4] !== version) throw new EnvelopeError(`envelope version ${data[4]} is not the version of this repository (${version})`);
  if (data.byteLength < headerLength) throw new EnvelopeError(`truncated: ${data.byteLength} bytes, shorter than the header`);
  if (data[5] !== kind) throw new EnvelopeError(`holds kind ${data[5]}, expected ${kind}`);
  const compression = data[6];
  const encryption = data[7];
  if (compression !== 0 && compression !== 1) throw new EnvelopeError(`unknown compression ${compression}`);
  const keyFor = opening.keyFor;
  if (encryption !== (keyFor === undefined ? 0 : 1)) {
    throw new EnvelopeError(encryption === 1 ? "is encrypted but the repository is not" : "is not encrypted but the repository is");
  }
  const plainBytes = Number(data.readBigUInt64LE(8));
  if (plainBytes > maxPlainBytes) throw new EnvelopeError(`declares ${plainBytes} bytes, more than the ${maxPlainBytes} allowed`);
  const header = data.subarray(0, headerLength);
  const bound = bindingOf(version, kind, binding);
  let payload: Buffer;
  if (keyFor !== undefined) {
    if (data.byteLength < headerLength + NONCE_BYTES + TAG_BYTES) throw new EnvelopeError("truncated: no room for nonce and tag");
    const nonce = data.subarray(headerLength, headerLength + NONCE_BYTES);
    const tag = data.subarray(data.byteLength - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", keyFor(version === 2 ? header.subarray(16) : Buffer.alloc(0)), nonce);
    decipher.setAAD(associatedData(header, bound));
    decipher.setAuthTag(tag);
    try {
      payload = Buffer.concat([decipher.update(data.subarray(headerLength + NONCE_BYTES, data.byteLength - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new EnvelopeError(
        bound === undefined ? "authentication failed (damaged, or written with another key)" : "authentication failed (damaged, written with another key, or copied from another file)",
      );
    }
  } else if (kind === EnvelopeKind.chunk) {
    payload = data.subarray(headerLength);
  } else {
    if (data.byteLength < headerLength + CHECKSUM_BYTES) throw new EnvelopeError("truncated: no room for the checksum");
    const body = data.subarray(0, data.byteLength - CHECKSUM_BYTES);
    const expected = data.subarray(data.byteLength - CHECKSUM_BYTES);
    if (!checksum(body, bound).equals(expected)) {
      throw new EnvelopeError(bound === undefined ? "checksum mismatch (damaged or truncated)" : "checksum mismatch (damaged, truncated, or copied from another file)");
    }
    payload = data.subarray(headerLength, data.byteLength - CHECKSUM_BYTES);
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
