/** Where and as whom to log in on an ESXi host, and the credentials. Credentials live only in memory. */
import type { EsxiVersion } from "@esxbackup/domain";

export interface EsxiSshTarget {
  host: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** Keyboard-interactive (what stock ESXi accepts), then the `password` method for hosts that allow it. */
  password?: string;
  /** An OpenSSH private key (RSA or ECDSA: ESXi 8 refuses ed25519 user keys). Tried before the password. */
  privateKey?: Buffer | string;
  passphrase?: string;
  /** The release, when known: narrows the algorithms offered to that release's set. */
  esxiVersion?: EsxiVersion;
}

/** `host:port` as shown in messages. */
export function targetLabel(target: Pick<EsxiSshTarget, "host" | "port">): string {
  const port = target.port ?? 22;
  return target.host.includes(":") ? `[${target.host}]:${port}` : `${target.host}:${port}`;
}

/** The `--host` argument that reaches this host again (`H` or `H:PORT`). */
export function hostArgument(target: Pick<EsxiSshTarget, "host" | "port">): string {
  const port = target.port ?? 22;
  if (port === 22) return target.host;
  return target.host.includes(":") ? `[${target.host}]:${port}` : `${target.host}:${port}`;
}
