/**
 * A server's public host key as it arrives in the SSH handshake (the wire blob), with the two things people
 * compare: its type and its SHA256 fingerprint written as OpenSSH prints it (`SHA256:` + unpadded base64 of
 * the SHA-256 of the blob), so a fingerprint shown by us can be checked against `ssh-keygen -lf` on the host.
 */
import { createHash } from "node:crypto";
import { InvalidInputError } from "@esxbackup/domain";
import type { ServerHostKeyAlgorithm } from "ssh2";

export interface HostKey {
  /** The key type named inside the blob: `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  readonly type: string;
  /** The wire blob, base64 (the middle field of a known_hosts line). */
  readonly base64: string;
  /** `SHA256:…` as OpenSSH prints it. */
  readonly fingerprint: string;
}

export function hostKeyFromBlob(blob: Buffer): HostKey {
  if (blob.length < 4) throw new InvalidInputError("host key", "shorter than its type field");
  const typeLength = blob.readUInt32BE(0);
  if (typeLength === 0 || 4 + typeLength > blob.length) throw new InvalidInputError("host key", "type field runs past the key");
  const type = blob.subarray(4, 4 + typeLength).toString("latin1");
  if (!/^[a-z0-9@.-]+$/u.test(type)) throw new InvalidInputError("host key", `unexpected key type ${JSON.stringify(type)}`);
  return { type, base64: blob.toString("base64"), fingerprint: sha256Fingerprint(blob) };
}

export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/u, "")}`;
}

/** The signature algorithms that prove possession of a key of this type (what to offer when it is pinned). */
export function hostKeyAlgorithmsFor(type: string): ServerHostKeyAlgorithm[] {
  // An RSA key signs with any of three algorithms; every other type names its only algorithm.
  if (type === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [type as ServerHostKeyAlgorithm];
}
