/**
 * How a running VM's open files are made unreadable to the sandbox's busybox, which runs as root (so
 * permission bits do not stop it): the bytes are moved to a private directory outside the sandbox (same
 * filesystem, so a rename), and their place in the datastore gets a unix-domain socket. `open()` on a socket
 * fails with ENXIO whatever the caller's privileges, so busybox prints
 * `cat: can't open '<path>': No such device or address` — a real host prints `Device or resource busy`
 * (EBUSY), which no unprivileged trick reproduces; the failure point (open) and the exit status match.
 * `ls -l` shows the file as a socket of size 0 while locked.
 *
 * Sockets are bound through `/proc/self/fd/<dir fd>/<short name>` and renamed into place, because a bind
 * path is limited to 108 bytes and datastore paths are longer. Node unlinks a socket path when its server
 * closes, so the rename happens before the close.
 */
import { existsSync } from "node:fs";
import { mkdir, open, rename, rm, stat, lstat } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import { randomBytes } from "node:crypto";

export class FileLocks {
  constructor(
    readonly rootDir: string,
    readonly lockDir: string,
  ) {}

  privatePath(realPath: string): string {
    return join(this.lockDir, relative(this.rootDir, realPath));
  }

  /** Where the bytes of this datastore file are now (the private copy while locked). */
  async dataPath(realPath: string): Promise<string> {
    const priv = this.privatePath(realPath);
    try {
      await stat(priv);
      return priv;
    } catch {
      return realPath;
    }
  }

  /** The same as dataPath, synchronously (point-in-time records are read on demand). */
  dataPathSync(realPath: string): string {
    const priv = this.privatePath(realPath);
    return existsSync(priv) ? priv : realPath;
  }

  async isLocked(realPath: string): Promise<boolean> {
    return (await this.dataPath(realPath)) !== realPath;
  }

  /** Moves the file's bytes aside and leaves a socket in its place. Idempotent. */
  async lock(realPath: string): Promise<void> {
    if (await this.isLocked(realPath)) return;
    const priv = this.privatePath(realPath);
    await mkdir(dirname(priv), { recursive: true });
    let exists = true;
    try {
      await lstat(realPath);
    } catch {
      exists = false;
    }
    if (exists) await rename(realPath, priv);
    else await (await open(priv, "w")).close();
    await placeSocket(realPath);
  }

  /** Puts the bytes back where the sandbox sees them. Idempotent. */
  async unlock(realPath: string): Promise<void> {
    if (!(await this.isLocked(realPath))) return;
    await rm(realPath, { force: true });
    await rename(this.privatePath(realPath), realPath);
  }

  /** Deletes the file, locked or not. */
  async remove(realPath: string): Promise<void> {
    await rm(this.privatePath(realPath), { force: true });
    await rm(realPath, { force: true });
  }
}

/** Creates a unix socket file at `path` (any length); nothing listens on it afterwards. */
export async function placeSocket(path: string): Promise<void> {
  const dir = dirname(path);
  const handle = await open(dir, "r");
  const tmpName = `.lck-${randomBytes(4).toString("hex")}`;
  try {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(`/proc/self/fd/${handle.fd}/${tmpName}`, () => resolve());
    });
    try {
      await rename(join(dir, tmpName), path);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  } finally {
    await handle.close();
  }
}
