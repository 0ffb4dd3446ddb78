/**
 * Our own known-hosts file: the host keys esxbackup has pinned, one `HOST KEYTYPE BASE64` line per key in
 * OpenSSH's known_hosts syntax (`[host]:port` when the port is not 22), so `ssh-keygen -lf FILE` lists it and
 * an administrator can read it. Only ours: we never write to the user's ~/.ssh/known_hosts.
 *
 * Contract: `pin` and `replace` write the whole file to a temporary sibling, fsync it, rename it over the
 * old one and fsync the folder, so a crash leaves the old file or the new one, never a half-written one.
 * Writes are serialised, within a process and between processes (`<path>.lock`); lines we do not understand (comments, hashed hosts, markers)
 * are kept as they were.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InvalidInputError } from "@esxbackup/domain";
import { withExclusiveFileLock } from "./exclusive-file-lock.js";
import type { HostKey } from "./host-key.js";
import { sha256Fingerprint } from "./host-key.js";

export interface PinnedHostKey extends HostKey {
  /** `host` or `[host]:port`, as written in the file. */
  readonly hostPattern: string;
}

/** `host` for port 22, else `[host]:port`, as OpenSSH writes known_hosts. */
export function knownHostsPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export class KnownHostsFile {
  readonly path: string;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** The keys pinned for this host and port (several when it was pinned with more than one key type). */
  async lookup(host: string, port: number): Promise<PinnedHostKey[]> {
    const pattern = knownHostsPattern(host, port);
    return (await this.#entries()).filter((entry) => entry.hostPattern === pattern);
  }

  /** Adds a key for the host (trust on first use); a key already pinned is not written twice. */
  pin(host: string, port: number, key: HostKey): Promise<void> {
    return this.#update(host, port, (mine) => (mine.some((line) => sameKey(line, key)) ? mine : [...mine, key]));
  }

  /** Replaces every key pinned for the host by this one (a deliberate re-pin). */
  replace(host: string, port: number, key: HostKey): Promise<void> {
    return this.#update(host, port, () => [key]);
  }

  #update(host: string, port: number, change: (current: HostKey[]) => HostKey[]): Promise<void> {
    const pattern = knownHostsPattern(host, port);
    const rewrite = async (): Promise<void> => {
      const lines = await this.#lines();
      const mine = lines.map(parseLine).filter((entry): entry is PinnedHostKey => entry?.hostPattern === pattern);
      const others = lines.filter((line) => parseLine(line)?.hostPattern !== pattern);
      const next = change(mine);
      const text = [...others, ...next.map((key) => `${pattern} ${key.type} ${key.base64}`)].join("\n");
      await writeAtomically(this.path, text === "" ? "" : `${text}\n`);
    };
    const run = this.#writes.then(() => withExclusiveFileLock(this.path, rewrite));
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async #entries(): Promise<PinnedHostKey[]> {
    return (await this.#lines()).map(parseLine).filter((entry): entry is PinnedHostKey => entry !== undefined);
  }

  async #lines(): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return [];
      // A folder given for the file, or a path through a file: the user's to correct, before any login.
      if (code === "EISDIR" || code === "ENOTDIR" || code === "EACCES") throw new InvalidInputError("known-hosts file", `cannot read ${this.path} (${code}${UNREADABLE_BECAUSE[code]})`, { cause: error });
      throw error;
    }
    return text.split("\n").filter((line) => line.trim() !== "");
  }
}

const UNREADABLE_BECAUSE: Readonly<Record<string, string>> = { EISDIR: ": it is a folder", ENOTDIR: ": a part of the path is a file", EACCES: ": permission denied" };

function sameKey(a: HostKey, b: HostKey): boolean {
  return a.type === b.type && a.base64 === b.base64;
}

/** A plain `pattern type base64` line; anything else (comments, markers, hashed hosts) is not ours to read. */
function parseLine(line: string): PinnedHostKey | undefined {
  const fields = line.trim().split(/\s+/u);
  if (fields.length < 3 || line.startsWith("#") || line.startsWith("@") || line.startsWith("|")) return undefined;
  const [hostPattern, type, base64] = fields as [string, string, string];
  const blob = Buffer.from(base64, "base64");
  if (blob.length === 0 || blob.toString("base64") !== base64) return undefined;
  return { hostPattern, type, base64, fingerprint: sha256Fingerprint(blob) };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(temporary, "wx", 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const dir = await open(folder, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
