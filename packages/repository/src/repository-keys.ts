/**
 * The keys of an encrypted repository (docs/repository-format.md §4): the data key encrypts envelopes
 * (AES-256-GCM), the id key names chunks (HMAC-SHA-256). Unencrypted repositories have none.
 */
export interface RepositoryKeys {
  dataKey: Buffer;
  idKey: Buffer;
}

export const MASTER_KEY_BYTES = 64;

export function splitMasterKey(master: Buffer): RepositoryKeys {
  return { dataKey: master.subarray(0, 32), idKey: master.subarray(32, 64) };
}
