import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { removeLeftoverBreakFiles, withMutex } from "./repository-lock.js";
import type { LockRecord } from "./repository-lock.js";
import { storeWith } from "./test-disk.js";

const MUTEX = "locks/mutex";

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
    await Promise.all([withMutex(store, systemClock, section), withMutex(store, systemClock, section)]);
    assert.equal(entered, 2, "both waiters got the mutex in turn");
    assert.equal(mostInside, 1, "never both at once");
    assert.deepEqual((await memory.list("locks")).filter((name) => name.startsWith("mutex")), [], "no mutex or break file left");
  });

  it("a waiter breaks a dead holder's mutex even when an earlier breaker died while breaking it", async () => {
    const memory = new MemoryBlobStore();
    await memory.write(MUTEX, deadRecord("dead-holder"));
    await memory.write("locks/mutex-break-dead-holder-1", deadRecord("dead-breaker"));
    let ran = false;
    await withMutex(memory, systemClock, async () => {
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
});
