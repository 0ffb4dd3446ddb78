/**
 * A file of incompressible bytes (`locks/space-reserve`, docs/repository-format.md §8) set aside at init so
 * that freeing space never needs free space: on a file system full to the last byte, prune and gc cannot
 * even create the mutex or their lock. When an operation that frees space fails for lack of space, the
 * reserve is removed and the operation run once more; gc writes the reserve again after it has freed space.
 * Backups never touch it, so however full they make the disk the reserve is still there for prune and gc.
 */
import { randomBytes } from "node:crypto";
import type { BlobStore } from "./blob-store.js";
import { SPACE_RESERVE_KEY } from "./repository-layout.js";

/** Enough for every file prune and gc create before they free anything (locks, marker, mutex), at 64 KiB blocks. */
export const SPACE_RESERVE_BYTES = 512 * 1024;

/** Writes the reserve unless it is there; false when there is no room for it (it is tried again by the next gc). */
export async function ensureSpaceReserve(store: BlobStore): Promise<boolean> {
  if ((await store.stat(SPACE_RESERVE_KEY)) !== undefined) return true;
  try {
    // Random bytes: a compressing or deduplicating file system must not shrink it to nothing.
    await store.write(SPACE_RESERVE_KEY, randomBytes(SPACE_RESERVE_BYTES));
    return true;
  } catch (error) {
    if (isNoSpace(error)) return false;
    throw error;
  }
}

/** Runs `free` (an operation that frees space); if it fails for lack of space, releases the reserve and runs it again. */
export async function withSpaceReserve<T>(store: BlobStore, free: () => Promise<T>): Promise<T> {
  try {
    return await free();
  } catch (error) {
    if (!isNoSpace(error) || !(await store.remove(SPACE_RESERVE_KEY))) throw error;
    return await free();
  }
}

/** Whether `error`, or an error it was caused by, is a full file system (ENOSPC). */
export function isNoSpace(error: unknown): boolean {
  for (let current = error; typeof current === "object" && current !== null; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: unknown }).code === "ENOSPC") return true;
  }
  return false;
}
