import { strict as assert } from "node:assert";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { collectGarbage } from "./collect-garbage.js";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { PointWriter } from "./point-writer.js";
import { executePrune, planPrune } from "./prune-points.js";
import { Repository } from "./repository.js";
import { recordGcRun } from "./repository-lock.js";
import { repositoryStats } from "./repository-stats.js";
import { backUpImage, makeImage, readWholeDisk, sha256, storeWith } from "./test-disk.js";
import { verifyRepository } from "./verify-repository.js";

const CHUNK = 8 * 1024;

async function fresh(): Promise<{ store: MemoryBlobStore; repository: Repository }> {
  const store = new MemoryBlobStore();
  return { store, repository: await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 1 }) };
}

describe("prune and gc", () => {
  it("prune removes only the named points; gc then frees exactly their unshared chunks", async () => {
    const { repository } = await fresh();
    const first = makeImage(10 * CHUNK, 1);
    const second = Buffer.from(first);
    second.fill(7, 0, 2 * CHUNK);
    const a = await backUpImage(repository, first);
    const b = await backUpImage(repository, second, { previousPointId: a.pointId, changed: [{ offsetBytes: 0, lengthBytes: 2 * CHUNK }] });
    await assert.rejects(planPrune(repository, [a.pointId, "missing" as never]), /no such recovery point: missing \(nothing was pruned\)/);
    assert.equal((await repository.listPointIds()).length, 2);
    await executePrune(repository, await planPrune(repository, [a.pointId]));
    assert.deepEqual(await repository.listPointIds(), [b.pointId]);
    const before = await repositoryStats(repository);
    assert.equal(before.unreferencedChunks, 2);
    const result = await collectGarbage(repository, { graceMs: 0 });
    assert.equal(result.chunksDeleted, 2);
    assert.equal((await repositoryStats(repository)).unreferencedChunks, 0);
    assert.equal(sha256(await readWholeDisk(repository, b.pointId)), sha256(second));
    assert.deepEqual((await verifyRepository(repository)).problems, []);
    await repository.close();
  });

  it("the grace period keeps recently used unreferenced chunks", async () => {
    const { repository } = await fresh();
    const a = await backUpImage(repository, makeImage(4 * CHUNK, 2));
    await executePrune(repository, await planPrune(repository, [a.pointId]));
    const kept = await collectGarbage(repository, { graceMs: 60 * 60 * 1000 });
    assert.equal(kept.chunksDeleted, 0);
    assert.equal(kept.chunksKeptRecent, 3, "4 chunks, one of them all-zero and not stored");
    await repository.close();
  });

  it("gc refuses to sweep when a manifest is unreadable", async () => {
    const { store, repository } = await fresh();
    const a = await backUpImage(repository, makeImage(4 * CHUNK, 3));
    await backUpImage(repository, makeImage(4 * CHUNK, 4));
    store.corrupt(`points/${a.pointId}.manifest`, (data) => data.subarray(0, 10));
    await assert.rejects(collectGarbage(repository, { graceMs: 0 }), /points\/.*\.manifest: truncated/);
    await repository.close();
  });

  for (const file of ["manifest", "index"] as const) {
    it(`gc treats a point pruned while it marks (its ${file} removed just before gc reads it) as gone`, async () => {
      const store = new MemoryBlobStore();
      const plain = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 1 });
      const a = await backUpImage(plain, makeImage(8 * CHUNK, 20));
      const b = await backUpImage(plain, makeImage(8 * CHUNK, 21));
      const target = file === "manifest" ? `points/${a.pointId}.manifest` : `indexes/${a.pointId}/disk-0.fidx`;
      let pruned = false;
      const racing = storeWith(store, {
        read: async (key) => {
          if (key === target && !pruned) {
            pruned = true;
            await executePrune(plain, await planPrune(plain, [a.pointId]));
          }
          return store.read(key);
        },
      });
      const repository = await Repository.open(racing, { threads: 1 });
      const gc = await collectGarbage(repository, { graceMs: 0 });
      assert.ok(pruned, "the prune ran while gc was marking");
      assert.equal(gc.pointsMarked, 1, "only the point still published was marked");
      assert.equal((await repositoryStats(plain)).unreferencedChunks, 0);
      assert.ok(gc.chunksDeleted > 0, "the pruned point's chunks were swept");
      assert.deepEqual(await repository.listPointIds(), [b.pointId]);
      assert.equal(sha256(await readWholeDisk(repository, b.pointId)), sha256(makeImage(8 * CHUNK, 21)));
      assert.deepEqual((await verifyRepository(repository)).problems, []);
      await repository.close();
      await plain.close();
    });
  }

  it("gc skips a running backup's pruned base whose folder went once that backup ended (not 'holds no index')", async () => {
    const store = new MemoryBlobStore();
    const plain = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 1 });
    const image = makeImage(8 * CHUNK, 22);
    const base = await backUpImage(plain, image);
    const writer = await PointWriter.begin(plain, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    await executePrune(plain, await planPrune(plain, [base.pointId]));
    let ended = false;
    const racing = storeWith(store, {
      // gc listed the writer; before it reads the base's folder, the backup ends and another gc removes the orphan.
      list: async (folder) => {
        if (folder === `indexes/${base.pointId}` && !ended) {
          ended = true;
          await writer.commit();
          await store.remove(folder);
        }
        return store.list(folder);
      },
    });
    const repository = await Repository.open(racing, { threads: 1 });
    const gc = await collectGarbage(repository, { graceMs: 0 });
    assert.ok(ended);
    assert.equal(gc.pointsMarked, 1);
    assert.deepEqual((await verifyRepository(repository)).problems, []);
    await repository.close();
    await plain.close();
  });

  it("gc racing a backup that takes over chunks of a pruned point loses nothing", async () => {
    const { repository } = await fresh();
    const image = makeImage(16 * CHUNK, 5);
    const base = await backUpImage(repository, image);
    // The backup starts from `base`, then base is pruned and gc runs (grace 0) while the backup is open.
    const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    const disk = await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    const changed = makeImage(CHUNK, 99);
    await disk.writeChunk(3, changed);
    await executePrune(repository, await planPrune(repository, [base.pointId]));
    const gc = await collectGarbage(repository, { graceMs: 0 });
    assert.equal(gc.chunksDeleted, 0, "every chunk is in use by the running backup");
    const point = await writer.commit();
    const expected = Buffer.from(image);
    changed.copy(expected, 3 * CHUNK);
    assert.equal(sha256(await readWholeDisk(repository, point.pointId)), sha256(expected));
    assert.deepEqual((await verifyRepository(repository)).problems, []);
    // Once the backup is published, the one chunk it replaced is garbage.
    assert.equal((await collectGarbage(repository, { graceMs: 0 })).chunksDeleted, 1);
    await repository.close();
  });

  it("a gc that lists writers just before a backup's lock exists is seen by that backup, which then takes over nothing gc removed", async () => {
    const memory = new MemoryBlobStore();
    const setup = await Repository.init(memory, { chunkSizeBytes: CHUNK, threads: 1 });
    const image = makeImage(8 * CHUNK, 30);
    const base = await backUpImage(setup, image);
    const signal = (): { promise: Promise<void>; fire: () => void } => {
      let fire!: () => void;
      return { promise: new Promise<void>((resolve) => (fire = resolve)), fire };
    };
    const gcListedWriters = signal();
    const basePruned = signal();
    let gcRun: Promise<unknown> | undefined;
    // gc runs an hour ahead: every chunk it finds unmarked is old enough to go.
    const gcRepository = await Repository.open(
      storeWith(memory, {
        list: async (folder) => {
          if (folder === "points") await basePruned.promise;
          const names = await memory.list(folder);
          if (folder === "locks") gcListedWriters.fire();
          return names;
        },
      }),
      { threads: 1, clock: { now: () => new Date(Date.now() + 3_600_000) } },
    );
    const writerRepository = await Repository.open(
      storeWith(memory, {
        createExclusive: async (key, data) => {
          if (key.startsWith("locks/writer-") && gcRun === undefined) {
            gcRun = collectGarbage(gcRepository, { graceMs: 0 });
            await gcListedWriters.promise;
          }
          return memory.createExclusive(key, data);
        },
      }),
      { threads: 1 },
    );
    const writer = await PointWriter.begin(writerRepository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    // The base is pruned (its indexes stay for the running backup) before gc lists points: gc marks nothing of it.
    await executePrune(setup, await planPrune(setup, [base.pointId]));
    basePruned.fire();
    assert.ok((await gcRun as { chunksDeleted: number }).chunksDeleted > 0, "gc swept the base's chunks");
    const disk = await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    // Nothing changed, but the chunks gc removed must be read again.
    const toRead = disk.chunksToRead([]);
    await Promise.all(toRead.map((chunk) => disk.writeChunk(chunk, image.subarray(chunk * CHUNK, chunk * CHUNK + disk.chunkLength(chunk)))));
    const point = await writer.commit();
    assert.equal(sha256(await readWholeDisk(writerRepository, point.pointId)), sha256(image));
    assert.deepEqual((await verifyRepository(writerRepository)).problems, []);
    for (const repository of [setup, gcRepository, writerRepository]) await repository.close();
  });

  it("format 1: a backup whose reused chunk vanished before commit publishes nothing", async () => {
    const store = new MemoryBlobStore();
    const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 1, formatVersion: 1 });
    const image = makeImage(4 * CHUNK, 6);
    const base = await backUpImage(repository, image);
    const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    const digest = (await repository.readIndex(base.pointId, 0)).get(0);
    await store.remove(`chunks/${digest.slice(0, 2)}/${digest}`);
    await assert.rejects(writer.commit(), /was removed while the backup ran.*nothing was published/);
    assert.deepEqual(await repository.listPointIds(), [base.pointId]);
    await repository.close();
  });

  it("format 2: a backup that a gc may not have seen confirms its taken-over chunks and publishes nothing if one vanished", async () => {
    const { store, repository } = await fresh();
    const image = makeImage(4 * CHUNK, 6);
    const base = await backUpImage(repository, image);
    const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    // What a gc that listed writers just before this one registered would leave: a new run marker, a chunk gone.
    await recordGcRun(store, repository.clock);
    const digest = (await repository.readIndex(base.pointId, 0)).get(0);
    await store.remove(`chunks/${digest.slice(0, 2)}/${digest}`);
    await assert.rejects(writer.commit(), /was removed while the backup ran.*nothing was published/);
    assert.deepEqual(await repository.listPointIds(), [base.pointId]);
    await repository.close();
  });

  it("format 2: taken-over chunks are not touched when no gc ran, and are touched when one did", async () => {
    const { store, repository } = await fresh();
    const image = makeImage(8 * CHUNK, 7);
    const base = await backUpImage(repository, image);
    const digest = (await repository.readIndex(base.pointId, 0)).get(0);
    const key = `chunks/${digest.slice(0, 2)}/${digest}`;
    const old = new Date(Date.now() - 3 * 60 * 60 * 1000);
    await store.touch(key, old);
    await backUpImage(repository, image, { previousPointId: base.pointId, changed: [] });
    assert.equal((await store.stat(key))?.modifiedAtMs, old.getTime(), "no gc ran: the base's chunk was left alone");
    const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    await collectGarbage(repository, { graceMs: 0 });
    await writer.commit();
    assert.ok(((await store.stat(key))?.modifiedAtMs ?? 0) > old.getTime(), "a gc ran meanwhile: the chunk was touched and confirmed");
    await repository.close();
  });

  it("format 2: a base pruned while a backup runs keeps its indexes until the backup ends; gc marks them and later removes them", async () => {
    const { store, repository } = await fresh();
    const image = makeImage(16 * CHUNK, 8);
    const base = await backUpImage(repository, image);
    const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId });
    const disk = await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
    await executePrune(repository, await planPrune(repository, [base.pointId]));
    assert.deepEqual(await store.list(`indexes/${base.pointId}`), ["disk-0.fidx"], "kept for the running backup");
    // Every chunk of the base is old: only the mark through the writer lock keeps them.
    const index = await repository.readIndex(base.pointId, 0);
    for (let chunk = 0; chunk < index.chunkCount; chunk += 1) {
      if (!index.isZero(chunk)) await store.touch(`chunks/${index.get(chunk).slice(0, 2)}/${index.get(chunk)}`, new Date(Date.now() - 3 * 60 * 60 * 1000));
    }
    const gc = await collectGarbage(repository, { graceMs: 60 * 1000 });
    assert.equal(gc.chunksDeleted, 0);
    assert.equal(gc.orphanIndexFoldersDeleted, 0);
    const changed = makeImage(CHUNK, 98);
    await disk.writeChunk(1, changed);
    const point = await writer.commit();
    const expected = Buffer.from(image);
    changed.copy(expected, 1 * CHUNK);
    assert.equal(sha256(await readWholeDisk(repository, point.pointId)), sha256(expected));
    assert.deepEqual((await verifyRepository(repository)).problems, []);
    const after = await collectGarbage(repository, { graceMs: 0 });
    assert.equal(after.orphanIndexFoldersDeleted, 1);
    assert.equal(after.chunksDeleted + after.chunksKeptRecent, 1, "only the replaced chunk is garbage");
    await repository.close();
  });

  it("format 2: a backup cannot register on a point pruned before it", async () => {
    const { repository } = await fresh();
    const base = await backUpImage(repository, makeImage(4 * CHUNK, 9));
    await executePrune(repository, await planPrune(repository, [base.pointId]));
    await assert.rejects(PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h", previousPointId: base.pointId }), /^NoSuchPointError: previous point: no such recovery point: /);
    await repository.close();
  });

  it("on disk: a running backup's index folder, written before its manifest, is not an orphan however old it looks", async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-gc-own-folder-"));
    try {
      const repository = await Repository.init(new LocalDirectoryBlobStore(root), { chunkSizeBytes: CHUNK, threads: 0 });
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      // The writer's index folder as gc may find it: present, no manifest yet, and (grace 0, coarse file
      // clocks) not younger than gc's cutoff.
      const folder = join(root, "indexes", writer.pointId);
      await mkdir(folder);
      await writeFile(join(folder, "disk-0.fidx"), "index being written");
      const anHourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(folder, "disk-0.fidx"), anHourAgo, anHourAgo);
      await utimes(folder, anHourAgo, anHourAgo);
      assert.equal((await collectGarbage(repository, { graceMs: 0 })).orphanIndexFoldersDeleted, 0);
      assert.deepEqual(await readdir(folder), ["disk-0.fidx"]);
      // The writer dies without cleaning up: its lock goes, its folder stays.
      for (const name of await readdir(join(root, "locks"))) if (name.startsWith("writer-")) await rm(join(root, "locks", name));
      assert.equal((await collectGarbage(repository, { graceMs: 0 })).orphanIndexFoldersDeleted, 1, "once the writer is gone it is an orphan");
      await assert.rejects(readdir(folder), /ENOENT/);
      await writer.abort();
      await repository.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("on disk: gc and several concurrent backups interleaved many times, their bases pruned under them: every backup succeeds and is exact", async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-gc-race-"));
    try {
      const repository = await Repository.init(new LocalDirectoryBlobStore(root), { chunkSizeBytes: CHUNK, threads: 2 });
      const images = [1, 2, 3].map((seed) => makeImage(24 * CHUNK, seed));
      let previous: (PointId | undefined)[] = [undefined, undefined, undefined];
      for (let round = 0; round < 6; round += 1) {
        const changed = { offsetBytes: (round % 4) * 5 * CHUNK, lengthBytes: 100 };
        for (const image of images) image.fill(round + 1, changed.offsetBytes, changed.offsetBytes + changed.lengthBytes);
        // Registered first, so that their bases can be pruned while they run: then only gc's marking of
        // running writers' bases keeps the chunks they take over (untouched) from being swept.
        const writers = await Promise.all(
          images.map((_, vm) =>
            PointWriter.begin(repository, { vm: { name: `vm ${vm}`, id: String(vm) }, host: "h", ...(previous[vm] === undefined ? {} : { previousPointId: previous[vm] }) }),
          ),
        );
        const backups = writers.map(async (writer, vm) => {
          const image = images[vm] as Buffer;
          const disk = await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
          const toRead = disk.chunksToRead(previous[vm] === undefined ? undefined : [changed]);
          await Promise.all(toRead.map((chunk) => disk.writeChunk(chunk, image.subarray(chunk * CHUNK, chunk * CHUNK + disk.chunkLength(chunk)))));
          return (await writer.commit()).pointId;
        });
        const published = await repository.listPointIds();
        const maintenance = (async () => {
          if (published.length > 0) await executePrune(repository, await planPrune(repository, published));
          return collectGarbage(repository, { graceMs: 0 });
        })();
        const results = await Promise.allSettled([...backups, maintenance]);
        // Every backup registers before or after gc lists writers, and is seen by it or sees it: none may fail.
        for (const [position, result] of results.entries()) {
          assert.equal(result.status, "fulfilled", `round ${round}, ${position < 3 ? `backup of vm ${position}` : "prune and gc"}: ${String((result as { reason?: unknown }).reason)}`);
        }
        previous = results.slice(0, 3).map((result) => (result as PromiseFulfilledResult<PointId>).value);
        assert.deepEqual(await repository.listPointIds(), [...previous].sort(), `round ${round}: the bases are pruned, the new points published`);
        const report = await verifyRepository(repository);
        assert.deepEqual(report.problems, [], `round ${round}`);
        for (const [vm, pointId] of previous.entries()) assert.equal(sha256(await readWholeDisk(repository, pointId as PointId)), sha256(images[vm] as Buffer));
      }
      await repository.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
