import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import type { ChunkDigest } from "@esxbackup/domain";
import { ChunkSink } from "./chunk-sink.js";
import { FixedIndex } from "./fixed-index.js";
import type { WriteBatch } from "./blob-store.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { chunkKey } from "./repository-layout.js";

const DIGEST = "ab".repeat(32) as ChunkDigest;

describe("ChunkSink claims", () => {
  it("only the first claimer of a new chunk supplies it; a second waits and counts it as deduplicated", async () => {
    const store = new MemoryBlobStore();
    const sink = new ChunkSink(store, new ManualClock(new Date("2026-01-01T00:00:00Z")));
    assert.deepEqual(await sink.claim(DIGEST, 100), { supply: true });
    // The second claimer is answered at once (it may hold claims the first one waits for), then waits.
    const second = await sink.claim(DIGEST, 100);
    assert.equal(second.supply, false);
    assert.equal(sink.stats.chunksDeduplicated, 0, "counted once it is stored");
    await sink.store(DIGEST, Buffer.from("envelope"));
    if (!second.supply) await second.stored;
    await sink.flush();
    assert.deepEqual(await store.read(chunkKey(DIGEST)), Buffer.from("envelope"));
    assert.deepEqual([sink.stats.chunksStored, sink.stats.chunksDeduplicated, sink.stats.bytesDeduplicated], [1, 1, 100]);
  });

  it("once a write failed (a full disk), later chunks are not written at all", async () => {
    const store = new MemoryBlobStore();
    const sink = new ChunkSink(store, new ManualClock(new Date("2026-01-01T00:00:00Z")));
    const other = "cd".repeat(32) as ChunkDigest;
    assert.equal((await sink.claim(DIGEST, 100)).supply, true);
    assert.equal((await sink.claim(other, 100)).supply, true);
    store.failWritesAfterBytes(4);
    await assert.rejects(sink.store(DIGEST, Buffer.from("envelope")), /ENOSPC/);
    store.failWritesAfterBytes(Number.POSITIVE_INFINITY);
    await assert.rejects(sink.store(other, Buffer.from("envelope")), /ENOSPC/, "the first failure, not a write");
    assert.equal(sink.stats.chunksStored, 0);
  });

  it("a chunk already in the repository is not claimed for storing; one removed before publishing is found from the index", async () => {
    const store = new MemoryBlobStore();
    await store.write(chunkKey(DIGEST), Buffer.from("old"));
    const sink = new ChunkSink(store, new ManualClock(new Date("2026-01-01T00:00:00Z")));
    assert.equal((await sink.claim(DIGEST, 100)).supply, false);
    const index = new FixedIndex(3 * 4096, 4096);
    index.setZero(0);
    index.set(1, DIGEST);
    index.setZero(2);
    await sink.confirmReferenced([index], { touch: true });
    await store.remove(chunkKey(DIGEST));
    await assert.rejects(sink.confirmReferenced([index], { touch: false }), /was removed while the backup ran/);
  });

  it("a chunk repeated before the flush is stored once; after the flush a repeat finds it with a touch", async () => {
    const store = new MemoryBlobStore();
    const sink = new ChunkSink(store, new ManualClock(new Date("2026-01-01T00:00:00Z")));
    await sink.put(DIGEST, Buffer.from("envelope"), 100);
    await sink.put(DIGEST, Buffer.from("envelope"), 100);
    await sink.flush();
    await sink.put(DIGEST, Buffer.from("envelope"), 100);
    assert.deepEqual([sink.stats.chunksStored, sink.stats.chunksDeduplicated], [1, 2]);
  });

  it("an abandoned claim fails whoever waits for it instead of leaving it waiting, and fails the writer", async () => {
    const sink = new ChunkSink(new MemoryBlobStore(), new ManualClock(new Date("2026-01-01T00:00:00Z")));
    assert.deepEqual(await sink.claim(DIGEST, 100), { supply: true });
    const waiting = await sink.claim(DIGEST, 100);
    sink.abandon(DIGEST, new Error("worker died"));
    assert.equal(waiting.supply, false);
    if (!waiting.supply) await assert.rejects(waiting.stored, /worker died/);
    await assert.rejects(sink.flush(), /worker died/);
  });

  it("storing a chunk nobody claimed is a programming error", async () => {
    const sink = new ChunkSink(new MemoryBlobStore(), new ManualClock(new Date("2026-01-01T00:00:00Z")));
    await assert.rejects(sink.store(DIGEST, Buffer.from("x")), /was not claimed/);
  });
});

/** A memory store whose batches log what each flush made durable (empty flushes left out), and can hold or fail their flushes. */
class WatchedFlushStore extends MemoryBlobStore {
  readonly flushed: string[][] = [];
  #held: { release: () => void; promise: Promise<void> } | undefined;
  #failNext: Error | undefined;

  holdFlushes(): () => void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.#held = { release, promise };
    return () => {
      this.#held = undefined;
      release();
    };
  }

  failNextFlush(error: Error): void {
    this.#failNext = error;
  }

  override batch(): WriteBatch {
    const inner = super.batch();
    let pending: string[] = [];
    return {
      write: async (key, data) => {
        await inner.write(key, data);
        pending.push(key);
      },
      flush: async () => {
        const keys = pending;
        pending = [];
        await this.#held?.promise;
        const failure = this.#failNext;
        this.#failNext = undefined;
        if (failure !== undefined) throw failure;
        await inner.flush();
        if (keys.length > 0) this.flushed.push(keys);
      },
      discard: () => inner.discard(),
    };
  }
}

const digestOf = (n: number): ChunkDigest => n.toString(16).padStart(64, "0") as ChunkDigest;

describe("ChunkSink flush windows by age", () => {
  it("a window whose oldest chunk is flushAfterMs old is flushed in the background, without waiting for its size", async () => {
    const store = new WatchedFlushStore();
    const clock = new ManualClock();
    const sink = new ChunkSink(store, clock, { flushAfterMs: 2000 });
    const release = store.holdFlushes();
    await sink.put(digestOf(1), Buffer.from("one"), 3);
    clock.advance(1999);
    await sink.put(digestOf(2), Buffer.from("two"), 3);
    assert.equal(sink.flushing, false, "the window is not yet 2 s old");
    clock.advance(1);
    await sink.put(digestOf(3), Buffer.from("three"), 5);
    assert.equal(sink.flushing, true, "its oldest chunk is 2 s old: the window is being flushed");
    // The store does not wait for that flush: the next chunk goes into the next window.
    await sink.put(digestOf(4), Buffer.from("four"), 4);
    release();
    await sink.flush();
    assert.deepEqual(store.flushed, [[chunkKey(digestOf(1)), chunkKey(digestOf(2)), chunkKey(digestOf(3))], [chunkKey(digestOf(4))]]);
  });

  it("the next window's age counts from its own first chunk", async () => {
    const store = new WatchedFlushStore();
    const clock = new ManualClock();
    const sink = new ChunkSink(store, clock, { flushAfterMs: 2000 });
    await sink.put(digestOf(1), Buffer.from("one"), 3);
    clock.advance(5000);
    await sink.put(digestOf(2), Buffer.from("two"), 3);
    assert.equal(sink.flushing, true);
    await sink.flush();
    clock.advance(1000);
    await sink.put(digestOf(3), Buffer.from("three"), 5);
    clock.advance(1500);
    await sink.put(digestOf(4), Buffer.from("four"), 4);
    assert.equal(sink.flushing, false, "chunk 3 is only 1.5 s old");
    await sink.flush();
    assert.deepEqual(store.flushed, [[chunkKey(digestOf(1)), chunkKey(digestOf(2))], [chunkKey(digestOf(3)), chunkKey(digestOf(4))]]);
  });

  it("a background flush that fails fails the next store and the final flush, and no later chunk is written", async () => {
    const store = new WatchedFlushStore();
    const clock = new ManualClock();
    const sink = new ChunkSink(store, clock, { flushAfterMs: 2000 });
    await sink.put(digestOf(1), Buffer.from("one"), 3);
    clock.advance(2000);
    const release = store.holdFlushes();
    store.failNextFlush(new Error("EIO: fsync failed"));
    await sink.put(digestOf(2), Buffer.from("two"), 3);
    assert.equal(sink.flushing, true);
    release();
    await assert.rejects(sink.flush(), /EIO: fsync failed/);
    assert.equal((await sink.claim(digestOf(3), 5)).supply, true);
    await assert.rejects(sink.store(digestOf(3), Buffer.from("three")), /EIO: fsync failed/);
    assert.deepEqual(store.flushed, [], "nothing was made durable");
    assert.equal(await store.stat(chunkKey(digestOf(3))), undefined);
  });
});
