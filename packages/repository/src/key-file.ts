/**
 * Key files (docs/repository-format.md §4): the 64-byte master key wrapped with a key derived from the
 * passphrase by scrypt, parameters recorded in the file so they can be raised later without a format change.
 * The wrapping's associated data binds a version-3 key file to its repository (`esxbackup-key-v3` and the
 * repository id), so a key file says which format created it even when config.json is edited.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { MASTER_KEY_BYTES } from "./repository-keys.js";

export interface KeyFile {
  kdf: "scrypt";
  N: number;
  r: number;
  p: number;
  saltBase64: string;
  wrap: "aes-256-gcm";
  nonceBase64: string;
  wrappedKeyBase64: string;
  createdAt: string;
  /** Version 3: the repository it belongs to (also authenticated: it is part of the wrapping's associated data). */
  repositoryId?: string;
}

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/**
 * Chosen by measurement (ADR 0009): 128 MiB and about 0.36 s per open on the reference 2-core machine —
 * OWASP's minimum for scrypt, four times the 32 MiB of version 2. 2^18 took 0.8 s and 2^20 5 s (1 GiB),
 * too much for a command that opens the repository, or for transporters opening it for parallel jobs.
 */
export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 17, r: 8, p: 1 };

/**
 * The most a key file may ask for; one asking more is refused before any work (a planted file must not stall
 * or exhaust the machine). 1 GiB of memory (RFC 7914's N = 2^20 at r = 8) and 2^23 blocks of work (about
 * 5 s here); N a power of two from 2^10.
 */
export const MAX_SCRYPT_MEMORY_BYTES = 1024 ** 3;
export const MAX_SCRYPT_WORK = 2 ** 23;
const MIN_SCRYPT_N = 2 ** 10;

/** What the wrapping authenticates: the format that created the key file and, from version 3, the repository. */
export interface KeyBinding {
  formatVersion: number;
  repositoryId: string;
}

function wrapAad(binding: KeyBinding): Buffer {
  return binding.formatVersion >= 3 ? Buffer.from(`esxbackup-key-v3\0${binding.repositoryId}`, "utf8") : Buffer.from("esxbackup-key-v1");
}

/** Why a key file's parameters are refused, or undefined when they are within bounds. */
export function scryptParametersProblem(parameters: { N: unknown; r: unknown; p: unknown }): string | undefined {
  const { N, r, p } = parameters;
  if (![N, r, p].every((value) => Number.isSafeInteger(value) && (value as number) >= 1)) return "scrypt parameters N, r, p must be whole numbers ≥ 1";
  const [n, blocks, lanes] = [N as number, r as number, p as number];
  if ((n & (n - 1)) !== 0 || n < MIN_SCRYPT_N) return `scrypt N must be a power of two ≥ ${MIN_SCRYPT_N} (got ${n})`;
  if (128 * n * blocks > MAX_SCRYPT_MEMORY_BYTES) return `scrypt N=${n}, r=${blocks} needs ${(128 * n * blocks) / 1024 ** 2} MiB, more than the ${MAX_SCRYPT_MEMORY_BYTES / 1024 ** 2} MiB allowed`;
  if (n * blocks * lanes > MAX_SCRYPT_WORK) return `scrypt N=${n}, r=${blocks}, p=${lanes} is more work than the ${MAX_SCRYPT_WORK} blocks allowed`;
  return undefined;
}

export function deriveKey(passphrase: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const problem = scryptParametersProblem(parameters);
  if (problem !== undefined) return Promise.reject(new Error(problem));
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, { ...parameters, maxmem: 256 * parameters.N * parameters.r + 16 * 1024 * 1024 }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

export async function wrapMasterKey(
  master: Buffer,
  passphrase: string,
  parameters: ScryptParameters,
  createdAt: Date,
  binding: KeyBinding,
  random: (bytes: number) => Buffer = randomBytes,
): Promise<KeyFile> {
  const salt = random(32);
  const nonce = random(12);
  const kek = await deriveKey(passphrase, salt, parameters);
  const cipher = createCipheriv("aes-256-gcm", kek, nonce);
  cipher.setAAD(wrapAad(binding));
  const wrapped = Buffer.concat([cipher.update(master), cipher.final(), cipher.getAuthTag()]);
  kek.fill(0);
  return {
    kdf: "scrypt",
    ...parameters,
    saltBase64: salt.toString("base64"),
    wrap: "aes-256-gcm",
    nonceBase64: nonce.toString("base64"),
    wrappedKeyBase64: wrapped.toString("base64"),
    createdAt: createdAt.toISOString(),
    ...(binding.formatVersion >= 3 ? { repositoryId: binding.repositoryId } : {}),
  };
}

/**
 * The master key, or undefined when the passphrase does not open this key file. Throws on a malformed file,
 * on one whose scrypt parameters are out of bounds (before deriving anything), and on a version-3 key file
 * when `binding` says an older version: config.json was edited to downgrade the repository.
 */
export async function unwrapMasterKey(file: KeyFile, passphrase: string, binding: KeyBinding): Promise<Buffer | undefined> {
  if (file === null || typeof file !== "object") throw new Error("not a key file object");
  if (file.kdf !== "scrypt" || file.wrap !== "aes-256-gcm") throw new Error(`unsupported key file (kdf ${String(file.kdf)}, wrap ${String(file.wrap)})`);
  const problem = scryptParametersProblem(file);
  if (problem !== undefined) throw new Error(`refused before deriving anything: ${problem}`);
  const wrapped = Buffer.from(file.wrappedKeyBase64, "base64");
  if (wrapped.byteLength !== MASTER_KEY_BYTES + 16) throw new Error("key file holds a wrapped key of the wrong length");
  const kek = await deriveKey(passphrase, Buffer.from(file.saltBase64, "base64"), file);
  // A version-3 file is unwrapped under the repository id it names: if that opens, a config.json naming
  // another id, or an older version, was altered.
  const own: KeyBinding = typeof file.repositoryId === "string" ? { formatVersion: 3, repositoryId: file.repositoryId } : binding;
  try {
    const master = unwrap(kek, file, wrapped, wrapAad(own));
    if (master === undefined || own === binding) return master;
    if (binding.formatVersion < 3) {
      master.fill(0);
      throw new KeyFileConfigMismatchError(`it belongs to a format-version-3 repository but config.json says version ${binding.formatVersion}: config.json was altered (downgrade refused)`);
    }
    if (own.repositoryId !== binding.repositoryId) {
      master.fill(0);
      throw new KeyFileConfigMismatchError(`it belongs to repository ${own.repositoryId} but config.json says ${binding.repositoryId}: config.json was altered, or the key file comes from another repository`);
    }
    return master;
  } finally {
    kek.fill(0);
  }
}

/** A key file that opens but belongs to another repository or format version than config.json says. */
export class KeyFileConfigMismatchError extends Error {}

function unwrap(kek: Buffer, file: KeyFile, wrapped: Buffer, aad: Buffer): Buffer | undefined {
  const decipher = createDecipheriv("aes-256-gcm", kek, Buffer.from(file.nonceBase64, "base64"));
  decipher.setAAD(aad);
  decipher.setAuthTag(wrapped.subarray(MASTER_KEY_BYTES));
  try {
    return Buffer.concat([decipher.update(wrapped.subarray(0, MASTER_KEY_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
