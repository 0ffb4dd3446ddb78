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
 * left by a dead process is broken, by one waiter only (`breakDeadMutex`).
 */
export async function withMutex<T>(store: BlobStore, clock: Clock, section: () => Promise<T>): Promise<T> {
  const now = clock.now().toISOString();
  const record: LockRecord = { kind: "mutex", id: randomBytes(8).toString("hex"), host: hostname(), pid: process.pid, startedAt: now, refreshedAt: now };
  const started = Date.now();
  let waitMs = 2;
  while (!(await store.createExclusive(MUTEX_KEY, encode(record)))) {
    const holder = await readRecord(store, MUTEX_KEY);
    if (typeof holder === "object" && !isLive(holder, clock) && (await breakDeadMutex(store, clock, holder.id, record))) continue;
    if (Date.now() - started > MUTEX_GIVE_UP_MS) {
      const named = typeof holder === "object" ? holder : undefined;
      throw new EsxbackupError("lock_timeout", `${store.locate(MUTEX_KEY)}: held by ${named?.host ?? "?"} pid ${named?.pid ?? "?"} for too long`);
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

const BREAK_PREFIX = "mutex-break-";
const MAX_BREAK_LEVELS = 16;
const breakKey = (holderId: string, level: number): string => `${LOCKS_FOLDER}/${BREAK_PREFIX}${holderId}-${level}`;

/**
 * Removes the mutex of the dead holder `holderId`, atomically. Two waiters that both found it dead must not
 * both remove "it": the second would remove the mutex the first has taken since. So a breaker first takes
 * `locks/mutex-break-<holderId>-<level>` by exclusive create, then re-reads the mutex and removes it only if
 * it still names that holder: while it holds the break file nobody else can remove that holder's mutex, so
 * what it read is what it removes. A breaker that died holding level n leaves its file; the next takes
 * level n+1. Once the holder's mutex is gone it never comes back (ids are random), so then every level is
 * removed. False when another live waiter is breaking it (wait and look again).
 */
async function breakDeadMutex(store: BlobStore, clock: Clock, holderId: string, me: LockRecord): Promise<boolean> {
  let vanished = 0;
  for (let level = 1; level <= MAX_BREAK_LEVELS; level += 1) {
    const key = breakKey(holderId, level);
    if (await store.createExclusive(key, encode(me))) {
      let gone = false;
      try {
        const current = await readRecord(store, MUTEX_KEY);
        if (typeof current === "object" && current.id === holderId) await store.remove(MUTEX_KEY);
        gone = true;
      } finally {
        for (let done = gone ? 1 : level; done <= level; done += 1) await store.remove(breakKey(holderId, done));
      }
      return true;
    }
    const breaker = await readRecord(store, key);
    if (breaker === "missing") {
      // Its breaker finished between our create and our read: try this level again (never a higher one
      // while this one may be free: two live breakers must not hold different levels).
      if (vanished === 3) return false;
      vanished += 1;
      level -= 1;
      continue;
    }
    if (typeof breaker === "object" && isLive(breaker, clock)) return false;
  }
  return false;
}

/** Removes break files a dead breaker left behind once their holder's mutex is gone (gc's clean-up). */
export async function removeLeftoverBreakFiles(store: BlobStore): Promise<number> {
  // Listed before the mutex is read: a break file names a holder that existed before it, so a holder not
  // found in the mutex afterwards is gone for good.
  const names = (await store.list(LOCKS_FOLDER)).filter((name) => name.startsWith(BREAK_PREFIX));
  if (names.length === 0) return 0;
  const current = await readRecord(store, MUTEX_KEY);
  const currentId = typeof current === "object" ? current.id : undefined;
  let removed = 0;
  for (const name of names) {
    const holderId = name.slice(BREAK_PREFIX.length).replace(/-\d+$/, "");
    if (holderId !== currentId && current !== "unreadable" && (await store.remove(`${LOCKS_FOLDER}/${name}`))) removed += 1;
  }
  return removed;
}

async function readRecord(store: BlobStore, key: string): Promise<LockRecord | "missing" | "unreadable"> {
  let bytes: Buffer;
  try {
    bytes = await store.read(key);
  } catch (error) {
    return (error as { problem?: string }).problem === "missing" ? "missing" : "unreadable";
  }
  try {
    const record = JSON.parse(bytes.toString("utf8")) as LockRecord;
    return typeof record === "object" && record !== null && typeof record.id === "string" ? record : "unreadable";
  } catch {
    return "unreadable";
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
