/**
 * Lock files (docs/repository-format.md §8). A writer lock says "a backup is running since startedAt,
 * building on point basePointId"; gc uses it to keep everything a running backup may reference, prune to
 * keep that base's indexes. The gc run marker (`locks/last-gc.json`, rewritten by every gc when it starts)
 * lets a writer learn that a gc started during its lifetime even if that gc has finished. The mutex
 * (repository-mutex.ts) is a short critical section between writers registering or publishing and
 * prune/gc deleting. A lock is live while its process exists (same host) or while it is refreshed (other
 * hosts); dead locks are ignored, so a killed backup never blocks anyone.
 *
 * A holder refreshes its lock every minute; others judge it dead after ten minutes without a refresh. A
 * holder that could not refresh for five minutes (stalled, suspended, storage unreachable) no longer
 * counts on its lock — it may have been judged dead and removed — and says so at its next `confirm()`.
 * It never writes the file again then: a refresh that wrote after a removal would resurrect a lock that
 * gc has already decided without.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock, Scheduler } from "@esxbackup/domain";
import { EsxbackupError } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { LOCKS_FOLDER } from "./repository-layout.js";

export type LockKind = "writer" | "gc";

export interface LockRecord {
  kind: LockKind | "mutex";
  /** Random, never reused: the holder's token (a record with another id is someone else's). */
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

/** What holding and judging locks needs: time, timers, and the name this host puts in its records. */
export interface LockContext {
  clock: Clock;
  scheduler: Scheduler;
  /** Default `os.hostname()`; a test gives two holders different hosts to judge each other by refresh. */
  host?: string;
}

export const REFRESH_INTERVAL_MS = 60_000;
const STALE_AFTER_MS = 10 * 60_000;
/**
 * A holder whose last refresh is this old stops counting on its lock: half the staleness limit, so a lock
 * is given up before anyone whose clock is less than five minutes ahead can judge it dead.
 */
export const GIVE_UP_HOLD_AFTER_MS = STALE_AFTER_MS / 2;

/** A lock (or the mutex) this process held is no longer its own: it was judged dead and broken or removed. */
export class LockLostError extends EsxbackupError {
  constructor(location: string, why: string) {
    super("lock_lost", `${location}: ${why}; stopped without going on unprotected`);
  }
}

export function newLockRecord(kind: LockRecord["kind"], context: Pick<LockContext, "clock" | "host">): LockRecord {
  const now = context.clock.now().toISOString();
  return { kind, id: randomBytes(8).toString("hex"), host: context.host ?? hostname(), pid: process.pid, startedAt: now, refreshedAt: now };
}

/**
 * Refreshes on the context's scheduler, one refresh at a time (`#queue`); stops at `release`, waiting for a
 * refresh in flight so that no write follows the removal.
 */
export class RepositoryLock {
  readonly record: LockRecord;
  readonly #store: BlobStore;
  readonly #key: string;
  readonly #clock: Clock;
  readonly #stopRefreshing: () => void;
  #refreshedAtMs: number;
  #lost: string | undefined;
  #refreshing: Promise<void> = Promise.resolve();

  private constructor(store: BlobStore, key: string, record: LockRecord, context: LockContext) {
    this.#store = store;
    this.#key = key;
    this.record = record;
    this.#clock = context.clock;
    this.#refreshedAtMs = Date.parse(record.refreshedAt);
    this.#stopRefreshing = context.scheduler.every(REFRESH_INTERVAL_MS, () => {
      // A failed refresh is retried at the next tick; too many failures end in giving the lock up.
      this.#queue().catch(() => undefined);
    });
  }

  get key(): string {
    return this.#key;
  }

  get startedAtMs(): number {
    return Date.parse(this.record.startedAt);
  }

  static async acquire(store: BlobStore, kind: LockKind, context: LockContext, options: { basePointId?: string; pointId?: string } = {}): Promise<RepositoryLock> {
    const record = newLockRecord(kind, context);
    if (options.basePointId !== undefined) record.basePointId = options.basePointId;
    if (options.pointId !== undefined) record.pointId = options.pointId;
    const key = `${LOCKS_FOLDER}/${kind}-${record.id}.json`;
    if (!(await store.createExclusive(key, encode(record)))) throw new EsxbackupError("lock_conflict", `${store.locate(key)}: lock already exists`);
    return new RepositoryLock(store, key, record, context);
  }

  /**
   * Refreshes the lock now and throws `LockLostError` if it is no longer this holder's. Called right before
   * a step that is safe only under the lock (publishing a point, deleting chunks).
   */
  async confirm(): Promise<void> {
    await this.#queue();
    if (this.#lost !== undefined) throw new LockLostError(this.#store.locate(this.#key), this.#lost);
  }

  /** Resolves once no refresh is in flight (whatever its outcome). */
  async settled(): Promise<void> {
    await this.#refreshing.catch(() => undefined);
  }

  async release(): Promise<void> {
    this.#stopRefreshing();
    await this.#refreshing.catch(() => undefined);
    await this.#store.remove(this.#key);
  }

  #queue(): Promise<void> {
    const next = this.#refreshing.catch(() => undefined).then(() => this.#refresh());
    this.#refreshing = next;
    return next;
  }

  async #refresh(): Promise<void> {
    if (this.#lost !== undefined) return;
    const nowMs = this.#clock.now().getTime();
    if (this.#tooLate(nowMs)) return;
    const current = await readRecord(this.#store, this.#key);
    if (current === "missing" || (typeof current === "object" && current.id !== this.record.id)) {
      this.#lost = "the lock file was removed or replaced while held";
      return;
    }
    if (current === "unreadable") return;
    await this.#store.write(this.#key, encode({ ...this.record, refreshedAt: new Date(nowMs).toISOString() }));
    // A write that ended this late may have come after a removal (and recreated the file): not counted.
    if (!this.#tooLate(this.#clock.now().getTime())) this.#refreshedAtMs = nowMs;
  }

  #tooLate(nowMs: number): boolean {
    if (nowMs - this.#refreshedAtMs < GIVE_UP_HOLD_AFTER_MS) return false;
    this.#lost = `not refreshed for ${Math.round((nowMs - this.#refreshedAtMs) / 1000)} s, so it may have been judged dead`;
    return true;
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
export async function listLocks(store: BlobStore, kind: LockKind, context: Pick<LockContext, "clock" | "host">): Promise<ListedLock[]> {
  const result: ListedLock[] = [];
  for (const name of await store.list(LOCKS_FOLDER)) {
    if (!name.startsWith(`${kind}-`)) continue;
    const key = `${LOCKS_FOLDER}/${name}`;
    try {
      const record = JSON.parse((await store.read(key)).toString("utf8")) as LockRecord;
      result.push({ key, record, live: isLive(record, context) });
    } catch (error) {
      if ((error as { problem?: string }).problem === "missing") continue;
      const now = context.clock.now().toISOString();
      result.push({ key, record: { kind, id: name, host: "?", pid: 0, startedAt: now, refreshedAt: now }, live: true, unreadable: true });
    }
  }
  return result;
}

export function isLive(record: LockRecord, context: Pick<LockContext, "clock" | "host">): boolean {
  if (record.host === (context.host ?? hostname())) return processExists(record.pid);
  return context.clock.now().getTime() - Date.parse(record.refreshedAt) < STALE_AFTER_MS;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/** A lock file's record; "unreadable" when it exists but is not a lock record (or could not be read). */
export async function readRecord(store: BlobStore, key: string): Promise<LockRecord | "missing" | "unreadable"> {
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
export async function observeGc(store: BlobStore, context: Pick<LockContext, "clock" | "host">): Promise<{ lastRun: string; gcLockPresent: boolean }> {
  let lastRun = "";
  try {
    lastRun = (await store.read(GC_RUN_KEY)).toString("utf8");
  } catch (error) {
    if ((error as { problem?: string }).problem !== "missing") throw error;
  }
  const gcLocks = await listLocks(store, "gc", context);
  return { lastRun, gcLockPresent: gcLocks.some((lock) => lock.live) };
}

export function encode(record: LockRecord): Buffer {
  return Buffer.from(JSON.stringify(record), "utf8");
}
