/**
 * Garbage collection: mark every chunk a published point or a running writer's base point references, then
 * sweep chunks that are neither marked nor recently used. Safe while backups run (docs/repository-format.md
 * §9): a running writer's lock names its base (whose chunks it takes over untouched) and moves the cutoff
 * back to before it started; every other chunk a writer uses is written or touched after it started;
 * deletions happen under the mutex that writers hold while registering and publishing; and a writer that
 * this gc did not see learns of it from the gc run marker and confirms its chunks itself. Any unreadable
 * manifest, index or writer lock stops gc before anything is deleted.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { ChunkDigest, PointId } from "@esxbackup/domain";
import { FixedIndex } from "./fixed-index.js";
import { EnvelopeKind } from "./envelope.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { CHUNK_SUBFOLDERS, CHUNKS_FOLDER, INDEXES_FOLDER, TMP_FOLDER, chunkKey, manifestKey, pointIndexesFolder } from "./repository-layout.js";
import { ensureSpaceReserve, withSpaceReserve } from "./space-reserve.js";
import { RepositoryLock, listLocks, recordGcRun } from "./repository-lock.js";
import { removeLeftoverBreakFiles, withMutex } from "./repository-mutex.js";
import type { HeldMutex } from "./repository-mutex.js";

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

/**
 * Runs on a full disk too: what it creates before freeing anything is made from the space reserve, which it
 * writes again once it has freed space.
 */
export async function collectGarbage(repository: Repository, options: GcOptions = {}): Promise<GcResult> {
  const result = await withSpaceReserve(repository.store, () => collect(repository, options));
  if (options.dryRun !== true) await ensureSpaceReserve(repository.store);
  return result;
}

async function collect(repository: Repository, options: GcOptions): Promise<GcResult> {
  const store = repository.store;
  const clock = repository.clock;
  const graceMs = options.graceMs ?? DEFAULT_GC_GRACE_MS;
  const lock = await RepositoryLock.acquire(store, "gc", repository);
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
    // The marker is durable before we look at writers: a writer registered after this point sees it
    // changed (or sees our lock) at publication, and then touches and confirms its chunks itself.
    if (options.dryRun !== true) await recordGcRun(store, clock);
    // Listed after our lock and marker exist. A writer not seen here started after us, so everything it
    // writes or touches is younger than the cutoff, and what it takes over untouched it confirms itself.
    const writers = await listLocks(store, "writer", repository);
    let cutoffMs = lock.startedAtMs;
    const bases = new Set<PointId>();
    for (const writer of writers) {
      if (writer.unreadable === true) {
        throw new EsxbackupError("lock_unreadable", `${store.locate(writer.key)} cannot be read: its writer's base point is unknown, nothing was deleted`);
      }
      if (writer.live) {
        cutoffMs = Math.min(cutoffMs, Date.parse(writer.record.startedAt));
        if (writer.record.basePointId !== undefined) bases.add(writer.record.basePointId as PointId);
      } else if (options.dryRun !== true && (await store.remove(writer.key))) {
        result.deadLocksRemoved += 1;
      }
    }
    for (const other of await listLocks(store, "gc", repository)) {
      if (!other.live && other.key !== lock.key && options.dryRun !== true && (await store.remove(other.key))) result.deadLocksRemoved += 1;
    }
    if (options.dryRun !== true) result.deadLocksRemoved += await removeLeftoverBreakFiles(store);
    cutoffMs -= graceMs;

    const marked = new Set<ChunkDigest>();
    // Running writers' bases first: their chunks are taken over without being touched. Their index folders
    // outlive a prune of the base while the writer lock is live.
    for (const base of bases) {
      try {
        await markBase(repository, base, marked);
      } catch (error) {
        // The writers that built on it have ended since they were listed, and a gc removed the folder of
        // the pruned base: nothing to keep for them any more.
        const stillUsed = async (): Promise<boolean> =>
          (await listLocks(store, "writer", repository)).some((writer) => writer.live && (writer.unreadable === true || writer.record.basePointId === base));
        if (error instanceof RepositoryFileError && error.problem === "missing" && !(await repository.hasPoint(base)) && !(await stillUsed())) continue;
        throw error;
      }
    }
    const pointIds = await repository.listPointIds();
    for (const [position, pointId] of pointIds.entries()) {
      if (await markPoint(repository, pointId, marked)) result.pointsMarked += 1;
      options.onProgress?.({ phase: "mark", done: position + 1, total: pointIds.length });
    }
    result.chunksMarked = marked.size;

    for (const [position, sub] of CHUNK_SUBFOLDERS.entries()) {
      const candidates = (await store.list(`${CHUNKS_FOLDER}/${sub}`)).filter((name) => !name.startsWith(".") && !marked.has(name as ChunkDigest));
      for (let start = 0; start < candidates.length; start += BATCH) {
        const batch = candidates.slice(start, start + BATCH) as ChunkDigest[];
        await withMutex(store, repository, async (held) => {
          await confirmHeld(held, lock);
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
      // The folder's own time counts: a writer's folder may be listed empty, between its creation and the
      // rename of the first index into it.
      if (!(await olderThan(repository, [folder, ...(await store.list(folder)).map((file) => `${folder}/${file}`)], cutoffMs))) continue;
      // Under the mutex, like prune: a writer registered since may build on it (its point was pruned after).
      // A live writer's own point has its indexes before its manifest; a lock without `pointId` (an older
      // program) may be writing any folder, so none is deleted while one is live.
      const deleted = await withMutex(store, repository, async (held) => {
        if ((await store.stat(manifestKey(name as PointId))) !== undefined) return false;
        const writers = await listLocks(store, "writer", repository);
        const inUse = (writer: (typeof writers)[number]): boolean =>
          writer.unreadable === true || writer.record.pointId === undefined || writer.record.pointId === name || writer.record.basePointId === name;
        if (writers.some((writer) => writer.live && inUse(writer))) return false;
        await confirmHeld(held, lock);
        if (options.dryRun !== true) await store.remove(folder);
        return true;
      });
      if (deleted) result.orphanIndexFoldersDeleted += 1;
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

/**
 * Before deleting: the mutex is still ours (no writer registered or published in between) and so is the gc
 * lock (a gc judged dead was not seen by writers registering since, who then take chunks over untouched).
 */
async function confirmHeld(held: HeldMutex, lock: RepositoryLock): Promise<void> {
  await held.confirm();
  await lock.confirm();
}

/** Adds the chunks of every index in a running writer's base folder to `marked`. */
async function markBase(repository: Repository, base: PointId, marked: Set<ChunkDigest>): Promise<void> {
  const store = repository.store;
  const folder = pointIndexesFolder(base);
  const files = (await store.list(folder)).filter((name) => name.endsWith(".fidx"));
  if (files.length === 0) {
    throw new RepositoryFileError("missing", store.locate(folder), "holds no index, yet a running backup builds on this point: nothing was deleted");
  }
  for (const file of files) {
    const key = `${folder}/${file}`;
    const plain = await repository.readEnvelope(key, EnvelopeKind.index);
    let index: FixedIndex;
    try {
      index = FixedIndex.decode(plain, repository.chunkSizeBytes);
    } catch (error) {
      throw new RepositoryFileError("corrupt", store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
    for (let chunk = 0; chunk < index.chunkCount; chunk += 1) if (!index.isZero(chunk)) marked.add(index.get(chunk));
  }
}

/**
 * Adds the chunks of a listed point to `marked`; false when a prune removed the point after it was listed.
 * A file found missing counts as pruned only if the manifest is gone too: a published point with a missing
 * index is damage, and stops gc.
 */
async function markPoint(repository: Repository, pointId: PointId, marked: Set<ChunkDigest>): Promise<boolean> {
  try {
    const point = await repository.readPoint(pointId);
    for (const disk of point.disks) {
      const index = await repository.readIndex(pointId, disk.index, disk.sizeBytes);
      for (let chunk = 0; chunk < index.chunkCount; chunk += 1) if (!index.isZero(chunk)) marked.add(index.get(chunk));
    }
    return true;
  } catch (error) {
    if (error instanceof RepositoryFileError && error.problem === "missing" && !(await repository.hasPoint(pointId))) return false;
    throw error;
  }
}

async function olderThan(repository: Repository, keys: readonly string[], cutoffMs: number): Promise<boolean> {
  for (const key of keys) {
    const info = await repository.store.stat(key);
    if (info !== undefined && info.modifiedAtMs >= cutoffMs) return false;
  }
  return true;
}
