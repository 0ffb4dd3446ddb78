/**
 * The envelope every chunk, index, fingerprint and manifest file is wrapped in (docs/repository-format.md
 * §5): a 16-byte header, then the payload — zstd-compressed when that is smaller, encrypted with
 * AES-256-GCM when the repository has keys. Pure functions (no I/O), also used inside worker threads.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Compressor, decompress } from "zstd-napi";
import type { RepositoryKeys } from "./repository-keys.js";

export const EnvelopeKind = { chunk: 1, index: 2, manifest: 3, fingerprints: 4 } as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

const MAGIC = Buffer.from("EXBK", "latin1");
const VERSION = 1;
const HEADER_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECKSUM_BYTES = 32;
const COMPRESSION_LEVEL = 1;

let compressor: Compressor | undefined;

function zstd(plain: Uint8Array): Buffer {
  if (compressor === undefined) {
    compressor = new Compressor();
    compressor.setParameters({ compressionLevel: COMPRESSION_LEVEL });
  }
  return compressor.compress(plain);
}

/** Wraps `plain`; `keys` present means encrypt. */
export function sealEnvelope(kind: EnvelopeKind, plain: Uint8Array, keys: RepositoryKeys | undefined): Buffer {
  const compressed = zstd(plain);
  const useCompressed = compressed.byteLength < plain.byteLength;
  const payload = useCompressed ? compressed : plain;
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[4] = VERSION;
  header[5] = kind;
  header[6] = useCompressed ? 1 : 0;
  header[7] = keys === undefined ? 0 : 1;
  header.writeBigUInt64LE(BigInt(plain.byteLength), 8);
  if (keys !== undefined) {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", keys.dataKey, nonce);
    cipher.setAAD(header);
    const body = Buffer.concat([nonce, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([header, body]);
  }
  if (kind === EnvelopeKind.chunk) return Buffer.concat([header, payload]);
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
