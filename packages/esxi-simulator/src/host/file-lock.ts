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
import { mkdir, open, readdir, rename, rm, stat, lstat } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import { randomBytes } from "node:crypto";

/** Told when a file becomes locked (its socket is in place) and before a locked file is released or deleted. */
export interface LockListener {
  locked(realPath: string): Promise<void>;
  releasing(realPath: string): Promise<void>;
}

export class FileLocks {
  #listener: LockListener | undefined;

  constructor(
    readonly rootDir: string,
    readonly lockDir: string,
  ) {}

  /** One listener (the sandbox's busy-file mounts, see sandbox/busy-files.ts); undefined removes it. */
  setListener(listener: LockListener | undefined): void {
    this.#listener = listener;
  }

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
    await this.#listener?.locked(realPath);
  }

  /** Puts the bytes back where the sandbox sees them. Idempotent. */
  async unlock(realPath: string): Promise<void> {
    if (!(await this.isLocked(realPath))) return;
    await this.#listener?.releasing(realPath);
    await rm(realPath, { force: true });
    await rename(this.privatePath(realPath), realPath);
  }

  /** Deletes the file, locked or not. */
  async remove(realPath: string): Promise<void> {
    if (await this.isLocked(realPath)) await this.#listener?.releasing(realPath);
    await rm(this.privatePath(realPath), { force: true });
    await rm(realPath, { force: true });
  }
}

/** The datastore paths of every locked file (the lock directory's files, minus the model's own state). */
export async function lockedFiles(locks: FileLocks): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith(".")) await walk(p);
      } else out.push(join(locks.rootDir, relative(locks.lockDir, p)));
    }
  };
  await walk(locks.lockDir);
  return out;
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
