/**
 * The host's SSH host keys: one RSA and one ECDSA key, as on ESXi (`/etc/ssh/ssh_host_rsa_key`,
 * `/etc/ssh/ssh_host_ecdsa_key`; no ed25519). Generated on first start and kept in the state directory, so
 * a client's known_hosts entry stays valid across simulator restarts. `rotate()` replaces both keys, as a
 * reinstalled host would; files are replaced atomically (write then rename).
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import ssh2 from "ssh2";

const { utils } = ssh2;

export interface HostKeyPair {
  /** PEM private keys, RSA first. */
  privateKeys: Buffer[];
  /** `SHA256:…` fingerprints as `ssh-keygen -l` prints them, same order. */
  fingerprints: string[];
}

const FILES = ["ssh_host_rsa_key", "ssh_host_ecdsa_key"] as const;

export class HostKeyStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Loads the keys, generating any that are missing. */
  async load(): Promise<HostKeyPair> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const keys: Buffer[] = [];
    for (const file of FILES) {
      const path = join(this.#dir, file);
      let pem: Buffer;
      try {
        pem = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        pem = generate(file);
        await writeAtomically(path, pem);
      }
      keys.push(pem);
    }
    return describe(keys);
  }

  /** Replaces both keys with new ones; the next connection presents them. */
  async rotate(): Promise<HostKeyPair> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const keys = FILES.map((file) => generate(file));
    for (const [i, file] of FILES.entries()) await writeAtomically(join(this.#dir, file), keys[i] as Buffer);
    return describe(keys);
  }
}

function generate(file: (typeof FILES)[number]): Buffer {
  const pem =
    file === "ssh_host_rsa_key"
      ? generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "pkcs1", format: "pem" } }).privateKey
      : generateKeyPairSync("ec", { namedCurve: "prime256v1", privateKeyEncoding: { type: "sec1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
  return Buffer.from(pem);
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.new`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

function describe(privateKeys: Buffer[]): HostKeyPair {
  return { privateKeys, fingerprints: privateKeys.map(fingerprint) };
}

export function fingerprint(privateKeyPem: Buffer): string {
  const parsed = utils.parseKey(privateKeyPem);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined) throw new Error("no key in PEM");
  const digest = createHash("sha256").update(key.getPublicSSH()).digest("base64").replace(/=+$/u, "");
  return `SHA256:${digest}`;
}
