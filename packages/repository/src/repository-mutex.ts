/**
 * The repository mutex `locks/mutex` (docs/repository-format.md §8): a critical section between writers
 * registering or publishing and prune/gc deleting. Its record carries a random id, the holder's token.
 *
 * Nobody may replace or remove the mutex of holder H except while holding H's guard file,
 * `locks/mutex-break-<H>-<level>`, taken by exclusive create: a waiter breaking a dead H, and H itself
 * refreshing or releasing. Each re-reads the mutex under the guard and acts only if it still names H (and,
 * for a breaker, only if H is still dead). So a breaker never removes a mutex taken since, a holder's
 * refresh never overwrites a successor's, and a holder's release never removes a successor's.
 *
 * H refreshes its record every minute while it holds the mutex, so a long section on another host is not
 * judged dead (ten minutes without a refresh). A holder that finds its record gone or replaced — it stalled
 * longer than that and was broken — says so at its next `confirm()`, which sections call right before each
 * step that is safe only under the mutex.
 */
import { setTimeout as delay } from "node:timers/promises";
import { EsxbackupError } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { LOCKS_FOLDER } from "./repository-layout.js";
import { LockLostError, REFRESH_INTERVAL_MS, encode, isLive, newLockRecord, readRecord } from "./repository-lock.js";
import type { LockContext, LockRecord } from "./repository-lock.js";

const MUTEX_KEY = `${LOCKS_FOLDER}/mutex`;
const GIVE_UP_WAITING_MS = 10 * 60_000;
const BREAK_PREFIX = "mutex-break-";
const MAX_GUARD_LEVELS = 16;
const guardKey = (holderId: string, level: number): string => `${LOCKS_FOLDER}/${BREAK_PREFIX}${holderId}-${level}`;

/**
 * Runs `section` holding the repository mutex. Waiters poll (a holder usually keeps it for milliseconds); a
 * mutex left by a dead process is broken, by one waiter only. The section gets the hold, to `confirm()`
 * before each step that needs the mutex.
 */
export async function withMutex<T>(store: BlobStore, context: LockContext, section: (held: HeldMutex) => Promise<T>): Promise<T> {
  const held = await HeldMutex.acquire(store, context);
  try {
    return await section(held);
  } finally {
    await held.release();
  }
}

export class HeldMutex {
  readonly record: LockRecord;
  readonly #store: BlobStore;
  readonly #context: LockContext;
  readonly #stopRefreshing: () => void;
  #lost = false;
  #busy: Promise<void> = Promise.resolve();

  private constructor(store: BlobStore, context: LockContext, record: LockRecord) {
    this.#store = store;
    this.#context = context;
    this.record = record;
    this.#stopRefreshing = context.scheduler.every(REFRESH_INTERVAL_MS, () => {
      // A refresh that failed (I/O) is tried again at the next tick.
      this.#serially(() => this.#refresh()).catch(() => undefined);
    });
  }

  static async acquire(store: BlobStore, context: LockContext): Promise<HeldMutex> {
    const record = newLockRecord("mutex", context);
    const started = Date.now();
    let waitMs = 2;
    // Stamped at each attempt: a waiter that got in after minutes of waiting must not look stale at once.
    const stamped = (): Buffer => encode(Object.assign(record, { refreshedAt: context.clock.now().toISOString() }));
    while (!(await store.createExclusive(MUTEX_KEY, stamped()))) {
      const holder = await readRecord(store, MUTEX_KEY);
      if (typeof holder === "object" && !isLive(holder, context) && (await breakDeadMutex(store, context, holder.id, record))) continue;
      if (Date.now() - started > GIVE_UP_WAITING_MS) {
        const named = typeof holder === "object" ? holder : undefined;
        throw new EsxbackupError("lock_timeout", `${store.locate(MUTEX_KEY)}: held by ${named?.host ?? "?"} pid ${named?.pid ?? "?"} for too long`);
      }
      await delay(waitMs);
      waitMs = Math.min(100, waitMs * 2);
    }
    return new HeldMutex(store, context, record);
  }

  /** Refreshes the record now; `LockLostError` if the mutex is no longer this holder's (nothing was changed). */
  async confirm(): Promise<void> {
    await this.#serially(() => this.#refresh());
    if (this.#lost) throw new LockLostError(this.#store.locate(MUTEX_KEY), "the mutex was broken by another process while held (its holder was judged dead)");
  }

  /** Resolves once no refresh is in flight (whatever its outcome). */
  async settled(): Promise<void> {
    await this.#busy.catch(() => undefined);
  }

  /** Removes the mutex if it is still this holder's; a successor's mutex is left alone. */
  async release(): Promise<void> {
    this.#stopRefreshing();
    await this.#serially(async () => {
      if (this.#lost) return;
      await this.#underOwnGuard(async (current) => {
        if (current !== "mine") return current === "unreadable" ? "kept" : "gone";
        await this.#store.remove(MUTEX_KEY);
        return "gone";
      });
    });
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#busy.catch(() => undefined).then(step);
    this.#busy = next;
    return next;
  }

  async #refresh(): Promise<void> {
    if (this.#lost) return;
    await this.#underOwnGuard(async (current) => {
      if (current === "unreadable") return "kept";
      if (current !== "mine") {
        this.#lost = true;
        return "gone";
      }
      await this.#store.write(MUTEX_KEY, encode({ ...this.record, refreshedAt: this.#context.clock.now().toISOString() }));
      return "kept";
    });
  }

  /** Runs `action` holding this holder's guard; waits while a live breaker holds it (for milliseconds). */
  async #underOwnGuard(action: (current: "mine" | "other" | "unreadable") => Promise<"gone" | "kept">): Promise<void> {
    const id = this.record.id;
    const started = Date.now();
    let waitMs = 2;
    for (;;) {
      const done = await underGuard(this.#store, this.#context, id, this.record, async () => {
        const current = await readRecord(this.#store, MUTEX_KEY);
        return action(current === "unreadable" ? "unreadable" : typeof current === "object" && current.id === id ? "mine" : "other");
      });
      if (done) return;
      if (Date.now() - started > GIVE_UP_WAITING_MS) {
        throw new EsxbackupError("lock_timeout", `${this.#store.locate(guardKey(id, 1))}: held by another process for too long`);
      }
      await delay(waitMs);
      waitMs = Math.min(100, waitMs * 2);
    }
  }
}

/**
 * Removes the mutex of the dead holder `holderId` under its guard: only if it still names that holder and
 * the holder is still dead (it may have refreshed since we looked). False when another live process holds
 * the guard (wait and look again).
 */
function breakDeadMutex(store: BlobStore, context: LockContext, holderId: string, me: LockRecord): Promise<boolean> {
  return underGuard(store, context, holderId, me, async () => {
    const current = await readRecord(store, MUTEX_KEY);
    if (current === "unreadable") return "kept";
    if (current === "missing" || current.id !== holderId) return "gone";
    if (isLive(current, context)) return "kept";
    await store.remove(MUTEX_KEY);
    return "gone";
  });
}

/**
 * Runs `action` holding the guard of `holderId`'s mutex: `locks/mutex-break-<holderId>-<level>` taken by
 * exclusive create. A process that died holding level n leaves its file; the next takes level n+1. A
 * level found free again is retried, never skipped: two live processes must not hold different levels.
 * When the action reports the holder's mutex gone (it never comes back: ids are random), every level is
 * removed; otherwise only ours. False when another live process holds the guard.
 */
async function underGuard(store: BlobStore, context: LockContext, holderId: string, me: LockRecord, action: () => Promise<"gone" | "kept">): Promise<boolean> {
  let vanished = 0;
  for (let level = 1; level <= MAX_GUARD_LEVELS; level += 1) {
    const key = guardKey(holderId, level);
    // Fresh, so that the guard itself is judged live for ten minutes: a holder's record may be much older.
    if (await store.createExclusive(key, encode({ ...me, refreshedAt: context.clock.now().toISOString() }))) {
      let gone = false;
      try {
        gone = (await action()) === "gone";
      } finally {
        for (let done = gone ? 1 : level; done <= level; done += 1) await store.remove(guardKey(holderId, done));
      }
      return true;
    }
    const other = await readRecord(store, key);
    if (other === "missing") {
      // Its holder finished between our create and our read: try this level again.
      if (vanished === 3) return false;
      vanished += 1;
      level -= 1;
      continue;
    }
    if (typeof other === "object" && isLive(other, context)) return false;
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
