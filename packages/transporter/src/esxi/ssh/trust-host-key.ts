/**
 * Pinning a host's key deliberately (`esxbackup hosts trust`): connect, see the key the host presents, log
 * in to show the credentials reach a host that accepts them, then replace whatever was pinned for it.
 * With `expectedFingerprint` (checked by the administrator on the host's console) a different key is
 * refused before any credential is sent; without it this is an explicit trust-on-first-use.
 * Nothing is written unless the login succeeded.
 */
import { InvalidInputError } from "@esxbackup/domain";
import { esxiSshAlgorithms } from "./esxi-ssh-algorithms.js";
import { EsxiSshError } from "./esxi-ssh-errors.js";
import type { EsxiSshTarget } from "./esxi-ssh-target.js";
import { targetLabel } from "./esxi-ssh-target.js";
import type { HostKey } from "./host-key.js";
import type { KnownHostsFile } from "./known-hosts-file.js";
import { openSshConnection } from "./open-ssh-connection.js";

export interface TrustHostKeyOptions {
  target: EsxiSshTarget;
  knownHosts: KnownHostsFile;
  /** `SHA256:…` the key must have. */
  expectedFingerprint?: string;
  connectTimeoutMs?: number;
}

export interface TrustHostKeyResult {
  host: string;
  pinned: HostKey;
  /** What was pinned before (empty on first use). */
  previous: HostKey[];
  /** False when the presented key was already the pinned one (nothing changed). */
  changed: boolean;
}

/** The presented key is not the one the administrator said to expect. */
export class HostKeyFingerprintMismatchError extends EsxiSshError {
  readonly retryable = false;
  constructor(host: string, expected: string, presented: HostKey) {
    super("ssh_host_key_mismatch", host, `the host presented ${presented.type} ${presented.fingerprint}, not the expected ${expected}; nothing was pinned and no credential was sent`);
  }
}

export async function trustHostKey(options: TrustHostKeyOptions): Promise<TrustHostKeyResult> {
  const { target, knownHosts } = options;
  const host = targetLabel(target);
  const expected = options.expectedFingerprint?.trim();
  if (expected !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}$/u.test(expected)) {
    throw new InvalidInputError("fingerprint", `expected SHA256: followed by 43 base64 characters, as ssh-keygen -lf prints it, got ${JSON.stringify(expected)}`);
  }
  const previous = await knownHosts.lookup(target.host, target.port ?? 22);
  const connection = await openSshConnection({
    target,
    // Every type the host has may be pinned; the preferred one (ECDSA) is what later sessions will ask for.
    algorithms: esxiSshAlgorithms(target.esxiVersion),
    checkHostKey: (key) => Promise.resolve(expected === undefined || key.fingerprint === expected ? undefined : new HostKeyFingerprintMismatchError(host, expected, key)),
    connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    keepaliveIntervalMs: 0,
    keepaliveCountMax: 0,
  });
  connection.client.on("error", () => undefined);
  connection.client.end();
  const key = connection.hostKey;
  const changed = !(previous.length === 1 && previous[0]?.type === key.type && previous[0].base64 === key.base64);
  if (changed) await knownHosts.replace(target.host, target.port ?? 22, key);
  return { host, pinned: key, previous, changed };
}
