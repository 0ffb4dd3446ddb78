/**
 * Key files (docs/repository-format.md §4): the 64-byte master key wrapped with a key derived from the
 * passphrase by scrypt, parameters recorded in the file so they can be raised later without a format change.
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
}

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** 32 MiB of memory, about 0.1 s on a small server. */
export const DEFAULT_SCRYPT: ScryptParameters = { N: 32768, r: 8, p: 1 };
const AAD = Buffer.from("esxbackup-key-v1");

function deriveKey(passphrase: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, { ...parameters, maxmem: 256 * parameters.N * parameters.r + 16 * 1024 * 1024 }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

export async function wrapMasterKey(master: Buffer, passphrase: string, parameters: ScryptParameters, createdAt: Date): Promise<KeyFile> {
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const kek = await deriveKey(passphrase, salt, parameters);
  const cipher = createCipheriv("aes-256-gcm", kek, nonce);
  cipher.setAAD(AAD);
  const wrapped = Buffer.concat([cipher.update(master), cipher.final(), cipher.getAuthTag()]);
  return {
    kdf: "scrypt",
    ...parameters,
    saltBase64: salt.toString("base64"),
    wrap: "aes-256-gcm",
    nonceBase64: nonce.toString("base64"),
    wrappedKeyBase64: wrapped.toString("base64"),
    createdAt: createdAt.toISOString(),
  };
}

/** The master key, or undefined when the passphrase does not open this key file. Throws on a malformed file. */
export async function unwrapMasterKey(file: KeyFile, passphrase: string): Promise<Buffer | undefined> {
  if (file.kdf !== "scrypt" || file.wrap !== "aes-256-gcm") throw new Error(`unsupported key file (kdf ${String(file.kdf)}, wrap ${String(file.wrap)})`);
  for (const value of [file.N, file.r, file.p]) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error("key file has invalid scrypt parameters");
  }
  const wrapped = Buffer.from(file.wrappedKeyBase64, "base64");
  if (wrapped.byteLength !== MASTER_KEY_BYTES + 16) throw new Error("key file holds a wrapped key of the wrong length");
  const kek = await deriveKey(passphrase, Buffer.from(file.saltBase64, "base64"), file);
  const decipher = createDecipheriv("aes-256-gcm", kek, Buffer.from(file.nonceBase64, "base64"));
  decipher.setAAD(AAD);
  decipher.setAuthTag(wrapped.subarray(MASTER_KEY_BYTES));
  try {
    return Buffer.concat([decipher.update(wrapped.subarray(0, MASTER_KEY_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
