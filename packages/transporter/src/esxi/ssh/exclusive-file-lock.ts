/**
 * A lock between processes on one machine: a `<path>.lock` file created exclusively, holding the owner's
 * pid. Used around read-modify-write of small local files (the known-hosts file) so two transporters
 * pinning at once cannot lose each other's line. A lock whose owner is gone (no such pid) or older than
 * `staleAfterMs` (a hung owner) is taken over. Waiting polls, because no file-system event says "deleted"
 * portably; the wait is bounded.
 */
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";

export interface FileLockOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** A lock older than this is stale (default 60 s: a pin takes milliseconds). */
  staleAfterMs?: number;
  /** Pause between attempts (default 20 ms). */
  retryMs?: number;
}

export async function withExclusiveFileLock<T>(path: string, section: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await isStale(lockPath, options.staleAfterMs ?? 60_000)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockPath} is held by another process`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 20));
    }
  }
  try {
    return await section();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function isStale(lockPath: string, staleAfterMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    if (Date.now() - info.mtimeMs > staleAfterMs) return true;
    const pid = Number(text);
    // An owner still writing its pid has an empty file: not stale yet.
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  } catch {
    // Removed between our attempts: try again at once.
    return false;
  }
}
