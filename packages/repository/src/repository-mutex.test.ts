import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ManualClock, ManualScheduler, systemClock, timerScheduler } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import type { LockContext, LockRecord } from "./repository-lock.js";
import { removeLeftoverBreakFiles, withMutex } from "./repository-mutex.js";
import type { HeldMutex } from "./repository-mutex.js";
import { storeWith } from "./test-disk.js";

const MUTEX = "locks/mutex";
const LOCAL: LockContext = { clock: systemClock, scheduler: timerScheduler };
const MINUTE_MS = 60_000;

/** Three processes on three hosts sharing a repository (a NAS): each judges the others by their refreshes. */
function hosts(): { clock: ManualClock; scheduler: ManualScheduler; a: LockContext; b: LockContext; c: LockContext } {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler();
  return { clock, scheduler, a: { clock, scheduler, host: "host-a" }, b: { clock, scheduler, host: "host-b" }, c: { clock, scheduler, host: "host-c" } };
}

/** `memory` that counts refused creations of the mutex (a waiter that looked and was kept out). */
function countingRefusals(memory: MemoryBlobStore, changed: () => void): { store: BlobStore; refusals: () => number } {
  let refusals = 0;
  const store = storeWith(memory, {
    createExclusive: async (key, data) => {
      const created = await memory.createExclusive(key, data);
      if (key === MUTEX && !created) refusals += 1;
      changed();
      return created;
    },
  });
  return { store, refusals: () => refusals };
}

/** A holder on another host that stopped refreshing an hour ago: dead by the lock rules. */
function deadRecord(id: string): Buffer {
  const anHourAgo = new Date(Date.now() - 60 * 60_000).toISOString();
  const record: LockRecord = { kind: "mutex", id, host: "a-host-that-died", pid: 4242, startedAt: anHourAgo, refreshedAt: anHourAgo };
  return Buffer.from(JSON.stringify(record));
}

/** Resolves `wait(condition)` promises as soon as their condition holds, re-checked at every `changed()`. */
function conditions(): { wait: (condition: () => boolean) => Promise<void>; changed: () => void } {
  const waiting: { condition: () => boolean; resolve: () => void }[] = [];
  const changed = (): void => {
    for (const waiter of [...waiting]) {
      if (waiter.condition()) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  return {
    wait: (condition) => (condition() ? Promise.resolve() : new Promise((resolve) => waiting.push({ condition, resolve }))),
    changed,
  };
}

describe("repository mutex", () => {
  it("two waiters that both find a dead holder: exactly one breaks it, they never hold it together", async () => {
    const memory = new MemoryBlobStore();
    await memory.write(MUTEX, deadRecord("dead-holder"));
    const events = conditions();
    let inside = 0;
    let mostInside = 0;
    let entered = 0;
    let refusedWhileHeld = 0;
    let holderReads = 0;
    let mutexRemoves = 0;
    const store: BlobStore = storeWith(memory, {
      // Both waiters read the dead holder before either acts on it.
      read: async (key) => {
        const data = await memory.read(key);
        if (key === MUTEX && holderReads < 2) {
          holderReads += 1;
          events.changed();
          await events.wait(() => holderReads >= 2);
        }
        return data;
      },
      // The slower waiter removes "the dead holder's" mutex only once the faster one is inside: the
      // interleaving in which a break that is not atomic lets both in.
      remove: async (key) => {
        if (key === MUTEX && mutexRemoves++ === 1) await events.wait(() => entered >= 1);
        return memory.remove(key);
      },
      createExclusive: async (key, data) => {
        const created = await memory.createExclusive(key, data);
        if (key === MUTEX && !created && inside > 0) refusedWhileHeld += 1;
        events.changed();
        return created;
      },
    });
    const section = async (): Promise<void> => {
      inside += 1;
      entered += 1;
      mostInside = Math.max(mostInside, inside);
      events.changed();
      // Held until the other waiter has either got in too (the bug) or been refused twice (correct).
      await events.wait(() => inside >= 2 || refusedWhileHeld >= 2);
      inside -= 1;
      events.changed();
    };
    await Promise.all([withMutex(store, LOCAL, section), withMutex(store, LOCAL, section)]);
    assert.equal(entered, 2, "both waiters got the mutex in turn");
    assert.equal(mostInside, 1, "never both at once");
    assert.deepEqual((await memory.list("locks")).filter((name) => name.startsWith("mutex")), [], "no mutex or break file left");
  });

  it("a waiter breaks a dead holder's mutex even when an earlier breaker died while breaking it", async () => {
    const memory = new MemoryBlobStore();
    await memory.write(MUTEX, deadRecord("dead-holder"));
    await memory.write("locks/mutex-break-dead-holder-1", deadRecord("dead-breaker"));
    let ran = false;
    await withMutex(memory, LOCAL, async () => {
      ran = true;
    });
    assert.ok(ran);
    assert.deepEqual((await memory.list("locks")).filter((name) => name.startsWith("mutex")), []);
  });

  it("gc's clean-up removes break files only once their holder's mutex is gone", async () => {
    const memory = new MemoryBlobStore();
    await memory.write(MUTEX, deadRecord("still-there"));
    await memory.write("locks/mutex-break-still-there-1", deadRecord("dead-breaker"));
    await memory.write("locks/mutex-break-long-gone-1", deadRecord("another-dead-breaker"));
    assert.equal(await removeLeftoverBreakFiles(memory), 1);
    assert.deepEqual(await memory.list("locks"), ["mutex", "mutex-break-still-there-1"], "the next breaker of a present holder needs the dead level");
  });

  it("a holder on another host that stays inside longer than the staleness limit is not broken while it refreshes", async () => {
    const { clock, scheduler, a, b } = hosts();
    const events = conditions();
    const { store, refusals } = countingRefusals(new MemoryBlobStore(), events.changed);
    const order: string[] = [];
    let waiter: Promise<void> | undefined;
    await withMutex(store, a, async (held) => {
      order.push("a in");
      // Sixteen minutes inside, refreshing every minute.
      for (let minute = 1; minute <= 16; minute += 1) {
        clock.advance(MINUTE_MS);
        scheduler.fire();
        await held.settled();
      }
      waiter = withMutex(store, b, () => {
        order.push("b in");
        return Promise.resolve();
      });
      const before = refusals();
      await events.wait(() => refusals() >= before + 2 || order.includes("b in"));
      await held.confirm();
      order.push("a out");
    });
    await waiter;
    assert.deepEqual(order, ["a in", "a out", "b in"], "the waiter looked at the holder's fresh record and waited for it to leave");
  });

  /**
   * A on host-a enters, then stalls eleven minutes without refreshing (its timer never fires); B on host-b
   * judges it dead, breaks its mutex and enters; while B is inside, A wakes up, runs `onWake` and leaves;
   * then C on host-c tries to enter. Returns the order of entries and exits.
   */
  async function brokenHolderLeaves(onWake: (held: HeldMutex) => Promise<void>): Promise<{ order: string[]; store: BlobStore }> {
    const { clock, a, b, c } = hosts();
    const events = conditions();
    const { store, refusals } = countingRefusals(new MemoryBlobStore(), events.changed);
    const order: string[] = [];
    let aInside = false;
    let aMayGoOn!: () => void;
    const aGoesOn = new Promise<void>((resolve) => (aMayGoOn = resolve));
    const first = withMutex(store, a, async (held) => {
      aInside = true;
      events.changed();
      await aGoesOn;
      await onWake(held);
    });
    await events.wait(() => aInside);
    clock.advance(11 * MINUTE_MS);
    let third: Promise<void> | undefined;
    await withMutex(store, b, async () => {
      order.push("b in");
      aMayGoOn();
      await first;
      third = withMutex(store, c, () => {
        order.push("c in");
        return Promise.resolve();
      });
      const before = refusals();
      await events.wait(() => refusals() >= before + 2 || order.includes("c in"));
      order.push("b out");
    });
    await third;
    return { order, store };
  }

  it("a holder broken after a stall does not remove its successor's mutex when it leaves", async () => {
    const { order, store } = await brokenHolderLeaves(() => Promise.resolve());
    assert.deepEqual(order, ["b in", "b out", "c in"], "A's release left B's mutex alone, so C waited for B");
    assert.deepEqual((await store.list("locks")).filter((name) => name.startsWith("mutex")), []);
  });

  it("a holder broken after a stall fails at its next confirm instead of going on unprotected", async () => {
    let outcome = "";
    await brokenHolderLeaves(async (held) => {
      outcome = await held.confirm().then(
        () => "ok",
        (error: unknown) => (error as { code?: string }).code ?? String(error),
      );
    });
    assert.equal(outcome, "lock_lost");
  });

  it("a holder that refreshed after a waiter found it dead is not broken by that waiter", async () => {
    const { clock, scheduler, a, b } = hosts();
    const memory = new MemoryBlobStore();
    const events = conditions();
    let stalePeeks = 0;
    let refusals = 0;
    const order: string[] = [];
    let heldByA: { settled: () => Promise<void> } | undefined;
    // B reads A's stale record; before B takes A's guard, A's refresh lands.
    const store = storeWith(memory, {
      createExclusive: async (key, data) => {
        if (key.startsWith("locks/mutex-break-") && JSON.parse(Buffer.from(data).toString("utf8")).host === "host-b" && stalePeeks++ === 0) {
          scheduler.fire();
          await heldByA?.settled();
        }
        const created = await memory.createExclusive(key, data);
        if (key === MUTEX && !created) refusals += 1;
        events.changed();
        return created;
      },
    });
    let aMayLeave!: () => void;
    const aLeaves = new Promise<void>((resolve) => (aMayLeave = resolve));
    const first = withMutex(store, a, async (held) => {
      heldByA = held;
      order.push("a in");
      events.changed();
      await aLeaves;
      await held.confirm();
      order.push("a out");
    });
    await events.wait(() => order.includes("a in"));
    clock.advance(11 * MINUTE_MS);
    const second = withMutex(store, b, () => {
      order.push("b in");
      return Promise.resolve();
    });
    // B looked once more after its break attempt, found A live and kept waiting (or got in: the bug).
    await events.wait(() => (stalePeeks >= 1 && refusals >= 3) || order.includes("b in"));
    aMayLeave();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["a in", "a out", "b in"]);
  });

  it("a stale holder that takes its guard to refresh is not broken by a waiter meanwhile (the guard is judged by its own time)", async () => {
    const { clock, a, b } = hosts();
    const memory = new MemoryBlobStore();
    const events = conditions();
    const order: string[] = [];
    let refusals = 0;
    let armed = false;
    let second: Promise<void> | undefined;
    const store = storeWith(memory, {
      createExclusive: async (key, data) => {
        const created = await memory.createExclusive(key, data);
        if (key === MUTEX && !created) refusals += 1;
        events.changed();
        // A holds its guard, about to re-read and rewrite its stale record: B comes now.
        if (created && armed && key.startsWith("locks/mutex-break-")) {
          armed = false;
          second = withMutex(store, b, () => {
            order.push("b in");
            return Promise.resolve();
          });
          await events.wait(() => refusals >= 3 || order.includes("b in"));
        }
        return created;
      },
    });
    let outcome = "";
    await withMutex(store, a, async (held) => {
      order.push("a in");
      clock.advance(11 * MINUTE_MS);
      armed = true;
      outcome = await held.confirm().then(
        () => "ok",
        (error: unknown) => (error as { code?: string }).code ?? String(error),
      );
      order.push("a out");
    });
    await second;
    assert.equal(outcome, "ok");
    assert.deepEqual(order, ["a in", "a out", "b in"]);
  });

  it("a waiter that gets in after a long wait enters with a fresh record", async () => {
    const { clock, scheduler, a, b } = hosts();
    const events = conditions();
    const { store, refusals } = countingRefusals(new MemoryBlobStore(), events.changed);
    let waiter: Promise<string> | undefined;
    await withMutex(store, a, async (held) => {
      waiter = withMutex(store, b, async () => JSON.parse((await store.read(MUTEX)).toString("utf8")).refreshedAt as string);
      await events.wait(() => refusals() >= 1);
      for (let minute = 1; minute <= 12; minute += 1) {
        clock.advance(MINUTE_MS);
        scheduler.fire();
        await held.settled();
      }
    });
    assert.equal(await waiter, clock.now().toISOString(), "judged by when it entered, not by when it started waiting");
  });
});
