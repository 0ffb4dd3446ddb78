/**
 * A point of several disks: backed up `diskConcurrency` at once into one writer, listed in the order given,
 * each disk's base found in the previous point by its key (a disk new since then is backed up whole),
 * counters per disk that add up to the summed ones, and one failing disk abandoning the whole point.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ChangeFingerprints, PointId } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { backUpPoint } from "./back-up-point.js";
import type { BackUpPointResult, PointDiskRequest } from "./back-up-point.js";
import { MemoryDiskSource, pattern, withMemoryRepository } from "./memory-disk-source.js";
import type { MemoryDiskWatcher } from "./memory-disk-source.js";

const K = 1024;
const CHUNK = 16 * K;
const SHA1_4K: ChangeFingerprints = { algorithm: "sha1", blockSizeBytes: 4 * K, digestLengthBytes: 20 };

function disk(key: string, source: MemoryDiskSource): PointDiskRequest {
  return { key, source, changes: { kind: "fingerprints" }, fingerprints: SHA1_4K };
}

async function backUp(repository: Repository, disks: PointDiskRequest[], options: { previous?: PointId; diskConcurrency?: number; signal?: AbortSignal } = {}): Promise<BackUpPointResult> {
  return backUpPoint({
    repository,
    signal: options.signal ?? new AbortController().signal,
    clock: { now: () => new Date(0) },
    progress: { start: () => ({ update: () => undefined, stop: () => undefined }) },
    point: { vm: { name: "vm", id: "1" }, host: "esx1", configFiles: [], tags: [], ...(options.previous === undefined ? {} : { previousPointId: options.previous }) },
    disks,
    ...(options.diskConcurrency === undefined ? {} : { diskConcurrency: options.diskConcurrency }),
  });
}

async function readBack(repository: Repository, point: PointId, index: number): Promise<Buffer> {
  const reader = await DiskReader.open(repository, point, index);
  return reader.readRange(0, reader.sizeBytes);
}

/** How many disks had their channels open at the same time, at most. */
function openAtOnce(): MemoryDiskWatcher & { most: number } {
  let open = 0;
  const watcher = {
    most: 0,
    opened: () => {
      open += 1;
      watcher.most = Math.max(watcher.most, open);
    },
    closed: () => {
      open -= 1;
    },
  };
  return watcher;
}

describe("backUpPoint", () => {
  it("backs up the disks of a point at once, lists them in the order given and takes each one's base by key", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const watcher = openAtOnce();
      const a = pattern(24 * CHUNK, 1);
      const b = pattern(10 * CHUNK + 4 * K, 2);
      const first = await backUp(repository, [disk("scsi0:0", new MemoryDiskSource(a, { name: "a.vmdk", watcher })), disk("scsi0:1", new MemoryDiskSource(b, { name: "b.vmdk", watcher }))]);
      assert.equal(watcher.most, 2, "both disks read at once");
      const point = await repository.readPoint(first.point);
      assert.deepEqual(point.disks.map((d) => [d.key, d.name]), [["scsi0:0", "a.vmdk"], ["scsi0:1", "b.vmdk"]]);
      assert.deepEqual(await readBack(repository, first.point, 0), a);
      assert.deepEqual(await readBack(repository, first.point, 1), b);
      assert.deepEqual(first.disks.map((d) => [d.key, d.counters.bytesRead]), [["scsi0:0", a.byteLength], ["scsi0:1", b.byteLength]]);
      assert.equal(first.counters.bytesRead, a.byteLength + b.byteLength);
      assert.equal(first.counters.diskSizeBytes, a.byteLength + b.byteLength);

      // Given in another order, with a disk added: each disk is compared with the previous disk of its key.
      const a2 = Buffer.from(a);
      pattern(4 * K, 9).copy(a2, 5 * CHUNK);
      const b2 = Buffer.from(b);
      pattern(4 * K, 10).copy(b2, 2 * CHUNK + 8 * K);
      const c = pattern(3 * CHUNK, 3);
      const sources = { a: new MemoryDiskSource(a2, { name: "a.vmdk" }), b: new MemoryDiskSource(b2, { name: "b.vmdk" }), c: new MemoryDiskSource(c, { name: "c.vmdk" }) };
      const second = await backUp(repository, [disk("scsi0:1", sources.b), disk("scsi0:0", sources.a), disk("scsi0:2", sources.c)], { previous: first.point, diskConcurrency: 1 });
      const listed = (await repository.readPoint(second.point)).disks.map((d) => d.key);
      assert.deepEqual(listed, ["scsi0:1", "scsi0:0", "scsi0:2"]);
      assert.deepEqual(await readBack(repository, second.point, 0), b2);
      assert.deepEqual(await readBack(repository, second.point, 1), a2);
      assert.deepEqual(await readBack(repository, second.point, 2), c);
      assert.ok(sources.a.bytesRequested <= CHUNK, `disk a: ${sources.a.bytesRequested} bytes read for one changed block`);
      assert.ok(sources.b.bytesRequested <= CHUNK, `disk b: ${sources.b.bytesRequested} bytes read for one changed block`);
      assert.equal(sources.c.bytesRequested, c.byteLength, "a disk new since the previous point is read whole");
      for (const result of second.disks) {
        const c = result.counters;
        assert.equal(c.bytesTakenOver + c.bytesRead + c.bytesZeroAtSource + c.bytesRebuiltUnread, c.diskSizeBytes, `${result.key}: every byte counted once`);
      }
      const sum = (field: "bytesRead" | "bytesTakenOver" | "bytesNew" | "bytesWritten"): number => second.disks.reduce((total, d) => total + d.counters[field], 0);
      for (const field of ["bytesRead", "bytesTakenOver", "bytesNew", "bytesWritten"] as const) assert.equal(second.counters[field], sum(field), field);
      assert.ok(second.counters.bytesWritten > 0);
    });
  });

  it("one disk at a time when asked", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const watcher = openAtOnce();
      await backUp(repository, [disk("scsi0:0", new MemoryDiskSource(pattern(8 * CHUNK, 1), { watcher })), disk("scsi0:1", new MemoryDiskSource(pattern(8 * CHUNK, 2), { watcher }))], { diskConcurrency: 1 });
      assert.equal(watcher.most, 1);
    });
  });

  it("a disk that fails stops the others and publishes nothing", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const brokenData = pattern(8 * CHUNK, 1);
      const healthyData = pattern(256 * CHUNK, 2);
      const first = await backUp(repository, [disk("scsi0:0", new MemoryDiskSource(brokenData)), disk("scsi0:1", new MemoryDiskSource(healthyData))]);
      // Scattered changes: the healthy disk has 128 reads to make, 16 at most in flight.
      for (let chunk = 0; chunk < 256; chunk += 2) healthyData[chunk * CHUNK] = (healthyData[chunk * CHUNK] ?? 0) ^ 0xff;
      brokenData[0] = (brokenData[0] ?? 0) ^ 0xff;
      const broken = new MemoryDiskSource(brokenData, { name: "broken.vmdk" });
      broken.failAtRead = 1;
      const healthy = new MemoryDiskSource(healthyData, { name: "healthy.vmdk" });
      await assert.rejects(backUp(repository, [disk("scsi0:0", broken), disk("scsi0:1", healthy)], { previous: first.point }), /broken.vmdk: connection lost/u);
      assert.deepEqual(await repository.listPointIds(), [first.point]);
      assert.ok(healthy.reads.length < 128, `the other disk stopped reading (${healthy.reads.length} reads of 128)`);
    });
  });

  it("cancelled while reading: rejects with the abort's reason and publishes nothing", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      // Once while reading, once between two disks (the next one then meets a closed writer, not the signal).
      for (const [event, diskConcurrency] of [["opened", 2], ["closed", 1]] as const) {
        const controller = new AbortController();
        const reason = new Error(`stopped by the user (${event})`);
        const watcher: MemoryDiskWatcher = { [event]: () => controller.abort(reason) };
        const sources = [new MemoryDiskSource(pattern(64 * CHUNK, 1), { watcher }), new MemoryDiskSource(pattern(64 * CHUNK, 2), { watcher })];
        const disks = [disk("scsi0:0", sources[0] as MemoryDiskSource), disk("scsi0:1", sources[1] as MemoryDiskSource)];
        await assert.rejects(backUp(repository, disks, { signal: controller.signal, diskConcurrency }), (error) => (assert.equal(error, reason), true));
        assert.deepEqual(await repository.listPointIds(), []);
      }
    });
  });

  it("refuses a key given twice before writing anything", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const source = new MemoryDiskSource(pattern(2 * CHUNK, 1));
      await assert.rejects(backUp(repository, [disk("scsi0:0", source), disk("scsi0:0", source)]), /scsi0:0 is given twice/u);
      assert.equal(source.reads.length, 0);
    });
  });
});
