/**
 * The keys of an encrypted repository (docs/repository-format.md §4): the data key encrypts envelopes
 * (AES-256-GCM, through per-session subkeys from version 3: session-keys.ts), the id key names chunks
 * (HMAC-SHA-256), and from version 3 a config key authenticates config.json. Unencrypted repositories have
 * none.
 */
import { createHmac, hkdfSync } from "node:crypto";

export interface RepositoryKeys {
  dataKey: Buffer;
  idKey: Buffer;
  /** HKDF-SHA-256(master, info "esxbackup config mac v3"): the key of config.json's `configMac`. */
  configKey: Buffer;
}

export const MASTER_KEY_BYTES = 64;
const CONFIG_KEY_INFO = Buffer.from("esxbackup config mac v3");

/** Copies the parts out of `master`, which the caller wipes. */
export function splitMasterKey(master: Buffer): RepositoryKeys {
  return {
    dataKey: Buffer.from(master.subarray(0, 32)),
    idKey: Buffer.from(master.subarray(32, 64)),
    configKey: Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), CONFIG_KEY_INFO, 32)),
  };
}

export function wipeKeys(keys: RepositoryKeys): void {
  keys.dataKey.fill(0);
  keys.idKey.fill(0);
  keys.configKey.fill(0);
}

/**
 * `configMac` of a version-3 config.json: HMAC-SHA-256 under the config key of the canonical form — every
 * other field, keys sorted, `JSON.stringify` without spaces — as lowercase hex.
 */
export function configMac(configKey: Buffer, config: object): string {
  const fields = Object.entries(config)
    .filter(([name]) => name !== "configMac")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHmac("sha256", configKey).update(JSON.stringify(Object.fromEntries(fields))).digest("hex");
}
