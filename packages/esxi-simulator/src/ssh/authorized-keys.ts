/**
 * `/etc/ssh/keys-<user>/authorized_keys` inside the host's sandbox, read at every public-key attempt (as
 * sshd does), so a test or a user that edits the file over SSH is honoured at once. Options before the
 * key type (`from=…`, `command=…`) are not interpreted: a line with options is ignored rather than
 * trusted more widely than it says.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import ssh2 from "ssh2";

const { utils } = ssh2;

export function authorizedKeysPath(rootDir: string, user: string): string {
  return join(rootDir, "etc", "ssh", `keys-${user}`, "authorized_keys");
}

export interface AuthorizedKey {
  /** Key type as in the file (`ssh-rsa`, `ecdsa-sha2-nistp256`, `ssh-ed25519`). */
  type: string;
  /** The SSH wire encoding of the public key. */
  blob: Buffer;
  /** Verifies a signature made with this key. */
  verify(data: Buffer, signature: Buffer, hashAlgo?: string): boolean;
}

export async function readAuthorizedKeys(file: string): Promise<AuthorizedKey[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  return parseAuthorizedKeys(text);
}

export function parseAuthorizedKeys(text: string): AuthorizedKey[] {
  const keys: AuthorizedKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const parsed = utils.parseKey(line);
    if (parsed instanceof Error) continue;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key === undefined) continue;
    keys.push({
      type: key.type,
      blob: key.getPublicSSH(),
      verify: (data, signature, hashAlgo) => key.verify(data, signature, hashAlgo) === true,
    });
  }
  return keys;
}
