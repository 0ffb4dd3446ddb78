import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ManualClock, ManualScheduler } from "@esxbackup/domain";
import { changePassphrase } from "./change-passphrase.js";
import { collectGarbage } from "./collect-garbage.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { PointWriter } from "./point-writer.js";
import { executePrune, planPrune } from "./prune-points.js";
import { Repository } from "./repository.js";
import { RepositoryLock, listLocks } from "./repository-lock.js";
import type { LockContext, LockRecord } from "./repository-lock.js";
import type { BlobStore } from "./blob-store.js";
import { backUpImage, makeImage, storeWith } from "./test-disk.js";

const MINUTE_MS = 60_000;
const CHUNK = 8 * 1024;

function hosts(): { clock: ManualClock; scheduler: ManualScheduler; a: LockContext; b: LockContext } {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler();
  return { clock, scheduler, a: { clock, scheduler, host: "host-a" }, b: { clock, scheduler, host: "host-b" } };
}

const code = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => "ok",
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );

/** `memory` where, once armed, the next mutex taken is replaced by another host's right after. */
function losingTheMutex(memory: MemoryBlobStore): { store: BlobStore; arm: () => void } {
  let armed = false;
  const store = storeWith(memory, {
    createExclusive: async (key, data) => {
      const created = await memory.createExclusive(key, data);
      if (created && key === "locks/mutex" && armed) {
        armed = false;
        // Already stale itself, so that a later section (of a gc that went on unprotected) is not kept
        // waiting ten minutes for it: the test fails at once.
        const anHourAgo = new Date(Date.now() - 60 * MINUTE_MS).toISOString();
        const stranger: LockRecord = { kind: "mutex", id: "another-holder", host: "host-b", pid: 1, startedAt: anHourAgo, refreshedAt: anHourAgo };
        await memory.write(key, Buffer.from(JSON.stringify(stranger)));
      }
      return created;
    },
  });
  return { store, arm: () => (armed = true) };
}

describe("writer and gc locks", () => {
  it("a lock refreshed every minute stays live for another host beyond the staleness limit", async () => {
    const { clock, scheduler, a, b } = hosts();
    const store = new MemoryBlobStore();
    const lock = await RepositoryLock.acquire(store, "writer", a);
    for (let minute = 1; minute <= 16; minute += 1) {
      clock.advance(MINUTE_MS);
      scheduler.fire();
      await lock.settled();
    }
    assert.deepEqual((await listLocks(store, "writer", b)).map((listed) => listed.live), [true]);
    assert.equal(await code(lock.confirm()), "ok");
    await lock.release();
    assert.equal(scheduler.pending, 0, "a released lock refreshes no more");
    assert.deepEqual(await store.list("locks"), []);
  });

  it("a holder that could not refresh for longer than half the limit gives its lock up, and writes it no more", async () => {
    const { clock, scheduler, a, b } = hosts();
    const store = new MemoryBlobStore();
    const lock = await RepositoryLock.acquire(store, "gc", a);
    clock.advance(11 * MINUTE_MS);
    assert.deepEqual((await listLocks(store, "gc", b)).map((listed) => listed.live), [false], "judged dead by another host");
    scheduler.fire();
    await lock.settled();
    assert.deepEqual((await listLocks(store, "gc", b)).map((listed) => listed.live), [false], "the late refresh did not revive it");
    assert.equal(await code(lock.confirm()), "lock_lost");
    await lock.release();
  });

  it("a lock removed while held is not written back by the next refresh, and its holder learns it is gone", async () => {
    const { clock, scheduler, a } = hosts();
    const store = new MemoryBlobStore();
    const lock = await RepositoryLock.acquire(store, "writer", a);
    await store.remove(lock.key);
    clock.advance(MINUTE_MS);
    scheduler.fire();
    await lock.settled();
    assert.deepEqual(await store.list("locks"), []);
    assert.equal(await code(lock.confirm()), "lock_lost");
    await lock.release();
  });

  it("a backup whose writer lock was judged dead and removed while it stalled publishes nothing", async () => {
    const clock = new ManualClock();
    const store = new MemoryBlobStore();
    const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0, clock, scheduler: new ManualScheduler() });
    const writer = await PointWriter.begin(repository, { vm: { name: "vm one", id: "1" }, host: "test-host" });
    const image = makeImage(4 * CHUNK, 1);
    const disk = await writer.openDisk({ key: "scsi0:0", name: "vm one.vmdk", sizeBytes: image.byteLength });
    for (const chunk of disk.chunksToRead()) await disk.writeChunk(chunk, image.subarray(chunk * CHUNK, (chunk + 1) * CHUNK));
    // Eleven minutes without a refresh: a gc on another host removed the lock as dead (and so kept neither
    // this backup's base nor its index folder).
    clock.advance(11 * MINUTE_MS);
    const [lock] = await store.list("locks").then((names) => names.filter((name) => name.startsWith("writer-")));
    assert.ok(lock !== undefined);
    await store.remove(`locks/${lock}`);
    assert.equal(await code(writer.commit()), "lock_lost");
    assert.deepEqual(await repository.listPointIds(), []);
    await repository.close();
  });

  it("a gc whose lock was removed while it ran deletes nothing", async () => {
    const memory = new MemoryBlobStore();
    let gcLockRemoved = false;
    // Just before gc sweeps, its lock vanishes (another gc judged it dead): writers registering from now on
    // do not know about this gc and take chunks over untouched.
    const store = storeWith(memory, {
      list: async (folder) => {
        if (folder.startsWith("chunks/") && !gcLockRemoved) {
          for (const name of await memory.list("locks")) if (name.startsWith("gc-")) gcLockRemoved = await memory.remove(`locks/${name}`);
        }
        return memory.list(folder);
      },
    });
    const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
    const point = await backUpImage(repository, makeImage(4 * CHUNK, 2));
    await executePrune(repository, await planPrune(repository, [point.pointId]));
    const chunksBefore = (await Promise.all((await memory.list("chunks")).map((sub) => memory.list(`chunks/${sub}`)))).flat().length;
    assert.equal(await code(collectGarbage(repository, { graceMs: 0 })), "lock_lost");
    assert.ok(gcLockRemoved);
    const chunksAfter = (await Promise.all((await memory.list("chunks")).map((sub) => memory.list(`chunks/${sub}`)))).flat().length;
    assert.equal(chunksAfter, chunksBefore);
    await repository.close();
  });

  describe("a mutex taken from its holder (judged dead after a stall, broken, taken by another host) stops the step it protects", () => {
    it("a backup publishes nothing", async () => {
      const memory = new MemoryBlobStore();
      const { store, arm } = losingTheMutex(memory);
      const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
      const writer = await PointWriter.begin(repository, { vm: { name: "vm one", id: "1" }, host: "test-host" });
      const image = makeImage(2 * CHUNK, 3);
      const disk = await writer.openDisk({ key: "scsi0:0", name: "vm one.vmdk", sizeBytes: image.byteLength });
      for (const chunk of disk.chunksToRead()) await disk.writeChunk(chunk, image.subarray(chunk * CHUNK, (chunk + 1) * CHUNK));
      arm();
      assert.equal(await code(writer.commit()), "lock_lost");
      assert.deepEqual(await repository.listPointIds(), []);
      assert.ok((await memory.list("locks")).includes("mutex"), "the other host's mutex was left alone at release");
      await repository.close();
    });

    it("a prune removes nothing", async () => {
      const memory = new MemoryBlobStore();
      const { store, arm } = losingTheMutex(memory);
      const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
      const point = await backUpImage(repository, makeImage(2 * CHUNK, 4));
      arm();
      assert.equal(await code(executePrune(repository, await planPrune(repository, [point.pointId]))), "lock_lost");
      assert.deepEqual(await repository.listPointIds(), [point.pointId]);
      await repository.close();
    });

    it("a gc deletes nothing", async () => {
      const memory = new MemoryBlobStore();
      const { store, arm } = losingTheMutex(memory);
      const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
      const point = await backUpImage(repository, makeImage(4 * CHUNK, 5));
      await executePrune(repository, await planPrune(repository, [point.pointId]));
      const chunks = async (): Promise<number> => (await Promise.all((await memory.list("chunks")).map((sub) => memory.list(`chunks/${sub}`)))).flat().length;
      const before = await chunks();
      arm();
      assert.equal(await code(collectGarbage(repository, { graceMs: 0 })), "lock_lost");
      assert.equal(await chunks(), before);
      await repository.close();
    });

    it("a passphrase change writes and removes no key file", async () => {
      const memory = new MemoryBlobStore();
      const { store, arm } = losingTheMutex(memory);
      await (await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0, encrypt: true, passphrase: "old one", scrypt: { N: 1024, r: 8, p: 1 } })).close();
      const keysBefore = await memory.list("keys");
      arm();
      assert.equal(await code(changePassphrase(store, { currentPassphrase: "old one", newPassphrase: "new one", scrypt: { N: 1024, r: 8, p: 1 } })), "lock_lost");
      assert.deepEqual(await memory.list("keys"), keysBefore);
    });
  });
});
