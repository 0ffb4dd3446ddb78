/**
 * Lock files (docs/repository-format.md §8). A writer lock says "a backup is running since startedAt,
 * building on point basePointId"; gc uses it to keep everything a running backup may reference, prune to
 * keep that base's indexes. The gc run marker (`locks/last-gc.json`, rewritten by every gc when it starts)
 * lets a writer learn that a gc started during its lifetime even if that gc has finished. The mutex is a
 * short critical section between writers registering or publishing and prune/gc deleting. A lock is live
 * while its process exists (same host) or while it is refreshed (other hosts); dead locks are ignored, so
 * a killed backup never blocks anyone.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import type { Clock } from "@esxbackup/domain";
import { EsxbackupError } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { LOCKS_FOLDER } from "./repository-layout.js";

export type LockKind = "writer" | "gc";

export interface LockRecord {
  kind: LockKind | "mutex";
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  refreshedAt: string;
  /** Writer locks: the point whose chunks the writer takes over without reading them. */
  basePointId?: string;
  /** Writer locks: the point being written, whose index folder exists before its manifest does. */
  pointId?: string;
}

const REFRESH_INTERVAL_MS = 60_000;
const STALE_AFTER_MS = 10 * 60_000;
const MUTEX_KEY = `${LOCKS_FOLDER}/mutex`;
const MUTEX_GIVE_UP_MS = 10 * 60_000;

export class RepositoryLock {
  readonly record: LockRecord;
  readonly #store: BlobStore;
  readonly #key: string;
  readonly #timer: NodeJS.Timeout;

  private constructor(store: BlobStore, key: string, record: LockRecord, clock: Clock) {
    this.#store = store;
    this.#key = key;
    this.record = record;
    this.#timer = setInterval(() => {
      const refreshed = { ...this.record, refreshedAt: clock.now().toISOString() };
      this.#store.write(this.#key, encode(refreshed)).catch(() => undefined);
    }, REFRESH_INTERVAL_MS);
    this.#timer.unref();
  }

  get key(): string {
    return this.#key;
  }

  get startedAtMs(): number {
    return Date.parse(this.record.startedAt);
  }

  static async acquire(store: BlobStore, kind: LockKind, clock: Clock, options: { basePointId?: string; pointId?: string } = {}): Promise<RepositoryLock> {
    const now = clock.now().toISOString();
    const record: LockRecord = { kind, id: randomBytes(8).toString("hex"), host: hostname(), pid: process.pid, startedAt: now, refreshedAt: now };
    if (options.basePointId !== undefined) record.basePointId = options.basePointId;
    if (options.pointId !== undefined) record.pointId = options.pointId;
    const key = `${LOCKS_FOLDER}/${kind}-${record.id}.json`;
    if (!(await store.createExclusive(key, encode(record)))) throw new EsxbackupError("lock_conflict", `${store.locate(key)}: lock already exists`);
    return new RepositoryLock(store, key, record, clock);
  }

  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#store.remove(this.#key);
  }
}

export interface ListedLock {
  key: string;
  record: LockRecord;
  live: boolean;
  /** The file exists but could not be parsed: its holder and base are unknown. */
  unreadable?: true;
}

/** Every lock file of `kind` with its liveness; unreadable lock files count as live (be safe). */
export async function listLocks(store: BlobStore, kind: LockKind, clock: Clock): Promise<ListedLock[]> {
  const result: ListedLock[] = [];
  for (const name of await store.list(LOCKS_FOLDER)) {
    if (!name.startsWith(`${kind}-`)) continue;
    const key = `${LOCKS_FOLDER}/${name}`;
    try {
      const record = JSON.parse((await store.read(key)).toString("utf8")) as LockRecord;
      result.push({ key, record, live: isLive(record, clock) });
    } catch (error) {
      if ((error as { problem?: string }).problem === "missing") continue;
      const now = clock.now().toISOString();
      result.push({ key, record: { kind, id: name, host: "?", pid: 0, startedAt: now, refreshedAt: now }, live: true, unreadable: true });
    }
  }
  return result;
}

export function isLive(record: LockRecord, clock: Clock): boolean {
  if (record.host === hostname()) return processExists(record.pid);
  return clock.now().getTime() - Date.parse(record.refreshedAt) < STALE_AFTER_MS;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Runs `section` holding the repository mutex. Waiters poll (the holder keeps it for milliseconds); a mutex
 * left by a dead process is broken.
 */
export async function withMutex<T>(store: BlobStore, clock: Clock, section: () => Promise<T>): Promise<T> {
  const now = clock.now().toISOString();
  const record: LockRecord = { kind: "mutex", id: randomBytes(8).toString("hex"), host: hostname(), pid: process.pid, startedAt: now, refreshedAt: now };
  const started = Date.now();
  let waitMs = 2;
  while (!(await store.createExclusive(MUTEX_KEY, encode(record)))) {
    let holder: LockRecord | undefined;
    try {
      holder = JSON.parse((await store.read(MUTEX_KEY)).toString("utf8")) as LockRecord;
    } catch {
      holder = undefined;
    }
    if (holder !== undefined && !isLive(holder, clock)) {
      await store.remove(MUTEX_KEY);
      continue;
    }
    if (Date.now() - started > MUTEX_GIVE_UP_MS) {
      throw new EsxbackupError("lock_timeout", `${store.locate(MUTEX_KEY)}: held by ${holder?.host ?? "?"} pid ${holder?.pid ?? "?"} for too long`);
    }
    await delay(waitMs);
    waitMs = Math.min(100, waitMs * 2);
  }
  try {
    return await section();
  } finally {
    await store.remove(MUTEX_KEY);
  }
}

const GC_RUN_KEY = `${LOCKS_FOLDER}/last-gc.json`;

/** Written durably by every gc after its lock exists and before it looks at writers. */
export async function recordGcRun(store: BlobStore, clock: Clock): Promise<void> {
  await store.write(GC_RUN_KEY, Buffer.from(JSON.stringify({ id: randomBytes(8).toString("hex"), startedAt: clock.now().toISOString() }), "utf8"));
}

/**
 * What a writer compares at registration and at publication: the gc run marker's content and whether a
 * live gc lock exists (a dead one belongs to a gc that stopped before deleting anything more). Any difference, or a gc lock at either moment, means a gc may have run
 * without seeing this writer.
 */
export async function observeGc(store: BlobStore, clock: Clock): Promise<{ lastRun: string; gcLockPresent: boolean }> {
  let lastRun = "";
  try {
    lastRun = (await store.read(GC_RUN_KEY)).toString("utf8");
  } catch (error) {
    if ((error as { problem?: string }).problem !== "missing") throw error;
  }
  const gcLocks = await listLocks(store, "gc", clock);
  return { lastRun, gcLockPresent: gcLocks.some((lock) => lock.live) };
}

function encode(record: LockRecord): Buffer {
  return Buffer.from(JSON.stringify(record), "utf8");
}
