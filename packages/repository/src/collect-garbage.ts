/**
 * Garbage collection: mark every chunk a published point references, then sweep chunks that are neither
 * marked nor recently used. Safe while backups run (docs/repository-format.md §9): a running writer's lock
 * moves the cutoff back to before it started, every chunk a writer uses is written or touched after it
 * started, and deletions happen under the mutex that writers hold while checking and publishing. Any
 * unreadable manifest or index stops gc before anything is deleted.
 */
import type { ChunkDigest, PointId } from "@esxbackup/domain";
import type { Repository } from "./repository.js";
import { CHUNK_SUBFOLDERS, CHUNKS_FOLDER, INDEXES_FOLDER, TMP_FOLDER, chunkKey, manifestKey } from "./repository-layout.js";
import { RepositoryLock, listLocks, withMutex } from "./repository-lock.js";

export interface GcOptions {
  /** Chunks used (written or touched) more recently than this before the cutoff are kept. Default 1 hour. */
  graceMs?: number;
  /** Report what would be deleted without deleting. */
  dryRun?: boolean;
  onProgress?: (progress: { phase: "mark" | "sweep"; done: number; total: number }) => void;
}

export interface GcResult {
  pointsMarked: number;
  chunksMarked: number;
  chunksDeleted: number;
  bytesFreed: number;
  /** Unreferenced chunks kept because they are younger than the cutoff. */
  chunksKeptRecent: number;
  orphanIndexFoldersDeleted: number;
  tempFilesDeleted: number;
  deadLocksRemoved: number;
}

export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
const BATCH = 256;

export async function collectGarbage(repository: Repository, options: GcOptions = {}): Promise<GcResult> {
  const store = repository.store;
  const clock = repository.clock;
  const graceMs = options.graceMs ?? DEFAULT_GC_GRACE_MS;
  const lock = await RepositoryLock.acquire(store, "gc", clock);
  try {
    const result: GcResult = {
      pointsMarked: 0,
      chunksMarked: 0,
      chunksDeleted: 0,
      bytesFreed: 0,
      chunksKeptRecent: 0,
      orphanIndexFoldersDeleted: 0,
      tempFilesDeleted: 0,
      deadLocksRemoved: 0,
    };
    // Listed after our lock exists. A writer not seen here started after us, so everything it writes or
    // touches is younger than the cutoff; one that touched a chunk just before we delete it finds the chunk
    // gone in its check under the mutex and publishes nothing.
    const writers = await listLocks(store, "writer", clock);
    let cutoffMs = lock.startedAtMs;
    for (const writer of writers) {
      if (writer.live) cutoffMs = Math.min(cutoffMs, Date.parse(writer.record.startedAt));
      else if (options.dryRun !== true && (await store.remove(writer.key))) result.deadLocksRemoved += 1;
    }
    cutoffMs -= graceMs;

    const marked = new Set<ChunkDigest>();
    const pointIds = await repository.listPointIds();
    for (const [position, pointId] of pointIds.entries()) {
      const point = await repository.readPoint(pointId);
      for (const disk of point.disks) {
        const index = await repository.readIndex(pointId, disk.index, disk.sizeBytes);
        for (let chunk = 0; chunk < index.chunkCount; chunk += 1) if (!index.isZero(chunk)) marked.add(index.get(chunk));
      }
      options.onProgress?.({ phase: "mark", done: position + 1, total: pointIds.length });
    }
    result.pointsMarked = pointIds.length;
    result.chunksMarked = marked.size;

    for (const [position, sub] of CHUNK_SUBFOLDERS.entries()) {
      const candidates = (await store.list(`${CHUNKS_FOLDER}/${sub}`)).filter((name) => !name.startsWith(".") && !marked.has(name as ChunkDigest));
      for (let start = 0; start < candidates.length; start += BATCH) {
        const batch = candidates.slice(start, start + BATCH) as ChunkDigest[];
        await withMutex(store, clock, async () => {
          for (const digest of batch) {
            const info = await store.stat(chunkKey(digest));
            if (info === undefined) continue;
            if (info.modifiedAtMs >= cutoffMs) {
              result.chunksKeptRecent += 1;
              continue;
            }
            if (options.dryRun !== true && !(await store.remove(chunkKey(digest)))) continue;
            result.chunksDeleted += 1;
            result.bytesFreed += info.sizeBytes;
          }
        });
      }
      options.onProgress?.({ phase: "sweep", done: position + 1, total: CHUNK_SUBFOLDERS.length });
    }

    const published = new Set(await repository.listPointIds());
    for (const name of await store.list(INDEXES_FOLDER)) {
      if (name.startsWith(".") || published.has(name as PointId)) continue;
      const folder = `${INDEXES_FOLDER}/${name}`;
      if (await olderThan(repository, (await store.list(folder)).map((file) => `${folder}/${file}`), cutoffMs)) {
        if ((await store.stat(manifestKey(name as PointId))) !== undefined) continue;
        if (options.dryRun !== true) await store.remove(folder);
        result.orphanIndexFoldersDeleted += 1;
      }
    }
    for (const name of await store.list(TMP_FOLDER)) {
      const key = `${TMP_FOLDER}/${name}`;
      if (await olderThan(repository, [key], cutoffMs)) {
        if (options.dryRun !== true) await store.remove(key);
        result.tempFilesDeleted += 1;
      }
    }
    return result;
  } finally {
    await lock.release();
  }
}

async function olderThan(repository: Repository, keys: readonly string[], cutoffMs: number): Promise<boolean> {
  for (const key of keys) {
    const info = await repository.store.stat(key);
    if (info !== undefined && info.modifiedAtMs >= cutoffMs) return false;
  }
  return true;
}
