import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import type { ChunkDigest } from "@esxbackup/domain";
import { ChunkSink } from "./chunk-sink.js";
import { FixedIndex } from "./fixed-index.js";
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
