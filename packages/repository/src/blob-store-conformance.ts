/**
 * The contract of `BlobStore` (blob-store.ts) as a test suite; every adapter's test file runs it. Exported
 * from the package so adapters elsewhere (an S3 store, a retrying wrapper) can run it too.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { BlobStore } from "./blob-store.js";
import { RepositoryFileError } from "./repository-file-error.js";

export function runBlobStoreConformance(name: string, create: () => Promise<{ store: BlobStore; cleanup(): Promise<void> }>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    const withStore = (test: (store: BlobStore) => Promise<void>) => async () => {
      const { store, cleanup } = await create();
      try {
        await test(store);
      } finally {
        await cleanup();
      }
    };

    it("reads back what was written and replaces atomically", withStore(async (store) => {
      await store.write("a/b/c", Buffer.from("one"));
      assert.equal((await store.read("a/b/c")).toString(), "one");
      await store.write("a/b/c", Buffer.from("two!"));
      assert.equal((await store.read("a/b/c")).toString(), "two!");
      assert.equal((await store.stat("a/b/c"))?.sizeBytes, 4);
    }));

    it("keeps no reference to written data: the caller may refill the memory once a write resolves", withStore(async (store) => {
      const memory = Buffer.from("first content");
      await store.write("reuse/direct", memory);
      const batch = store.batch();
      await batch.write("reuse/batched", memory);
      memory.fill(0x2a);
      await batch.flush();
      assert.equal((await store.read("reuse/direct")).toString(), "first content");
      assert.equal((await store.read("reuse/batched")).toString(), "first content");
    }));

    it("reports a missing blob as a RepositoryFileError naming it", withStore(async (store) => {
      await assert.rejects(store.read("no/such"), (error: unknown) => {
        assert.ok(error instanceof RepositoryFileError);
        assert.equal(error.problem, "missing");
        assert.match(error.message, /no.such/);
        return true;
      });
      assert.equal(await store.stat("no/such"), undefined);
      assert.equal(await store.touch("no/such", new Date()), false);
      assert.equal(await store.remove("no/such"), false);
    }));

    it("keeps batch writes invisible until flushed, and drops discarded ones", withStore(async (store) => {
      const batch = store.batch();
      await batch.write("x/1", Buffer.from("1"));
      assert.equal(await store.stat("x/1"), undefined);
      await batch.flush();
      assert.equal((await store.read("x/1")).toString(), "1");
      await batch.write("x/2", Buffer.from("2"));
      await batch.discard();
      await batch.flush();
      assert.equal(await store.stat("x/2"), undefined);
    }));

    it("a discarded batch drops a write still in progress and refuses later ones", withStore(async (store) => {
      const batch = store.batch();
      const writing = batch.write("z/1", Buffer.from("in flight"));
      await batch.discard();
      await writing.catch(() => undefined);
      await assert.rejects(batch.write("z/2", Buffer.from("late")), /the write batch was discarded/);
      await batch.flush();
      assert.equal(await store.stat("z/1"), undefined);
      assert.equal(await store.stat("z/2"), undefined);
    }));

    it("a batch write still in progress when a flush starts becomes visible at the next flush", withStore(async (store) => {
      const batch = store.batch();
      const writing = batch.write("y/1", Buffer.from("late"));
      const flushing = batch.flush();
      await writing;
      await flushing;
      await batch.flush();
      assert.equal((await store.read("y/1")).toString(), "late");
    }));

    it("creates exclusively exactly once", withStore(async (store) => {
      const results = await Promise.all([1, 2, 3].map((n) => store.createExclusive("locks/l", Buffer.from(String(n)))));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await store.createExclusive("locks/l", Buffer.from("again")), false);
    }));

    it("touches, lists and removes folders", withStore(async (store) => {
      await store.write("f/a", Buffer.from("a"));
      await store.write("f/sub/b", Buffer.from("b"));
      assert.deepEqual(await store.list("f"), ["a", "sub"]);
      assert.deepEqual(await store.list("nothing"), []);
      const at = new Date("2020-01-02T03:04:05Z");
      assert.equal(await store.touch("f/a", at), true);
      assert.equal(Math.round(((await store.stat("f/a"))?.modifiedAtMs ?? 0) / 1000), at.getTime() / 1000);
      assert.equal(await store.remove("f/sub"), true);
      assert.deepEqual(await store.list("f"), ["a"]);
    }));
  });
}
