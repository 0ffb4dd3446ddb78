/**
 * The backup pipeline over a disk source that behaves as a host does (fingerprints computed where the disk
 * is, zero blocks marked, reads over numbered channels), into a real repository in memory: only the changed
 * blocks are read, never more than one read per channel at a time, zero chunks are never read, and every
 * point reads back byte for byte.
 */
import { strict as assert } from "node:assert";
import { randomFillSync } from "node:crypto";
import { describe, it } from "node:test";
import type { ChangeFingerprints, PointId } from "@esxbackup/domain";
import { DiskReader, readDiskFingerprints } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { backUpDisk } from "./back-up-disk.js";
import type { BackUpDiskRequest } from "./back-up-disk.js";
import { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
import { MemoryDiskSource, pattern, withMemoryRepository } from "./memory-disk-source.js";
import type { ChangeSource } from "./plan-backup.js";

const K = 1024;
const CHUNK = 16 * K;
const SHA1_4K: ChangeFingerprints = { algorithm: "sha1", blockSizeBytes: 4 * K, digestLengthBytes: 20 };

async function backUp(repository: Repository, source: MemoryDiskSource, changes: ChangeSource, options: { previous?: PointId; fingerprints?: ChangeFingerprints } = {}): ReturnType<typeof backUpDisk> {
  const phases: string[] = [];
  const request: BackUpDiskRequest = {
    repository,
    source,
    point: { vm: { name: "vm", id: "1" }, host: "esx1", configFiles: [], tags: [], ...(options.previous === undefined ? {} : { previousPointId: options.previous }) },
    disk: { key: "disk0" },
    changes,
    ...(options.fingerprints === undefined ? {} : { fingerprints: options.fingerprints }),
    signal: new AbortController().signal,
    clock: { now: () => new Date(0) },
    progress: { start: ({ phase }) => (phases.push(phase), { update: () => undefined, stop: () => undefined }) },
  };
  return backUpDisk(request);
}

async function readBack(repository: Repository, point: PointId): Promise<Buffer> {
  const reader = await DiskReader.open(repository, point, 0);
  return reader.readRange(0, reader.sizeBytes);
}

describe("backUpDisk over a disk source that fingerprints itself", () => {
  it("a first backup reads every chunk but the zero ones; an incremental reads only the changed blocks", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const data = pattern(40 * CHUNK + 3000, 1);
      data.fill(0, 8 * CHUNK, 12 * CHUNK);
      const source = new MemoryDiskSource(data);
      const first = await backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K });
      assert.equal(source.reads.some((read) => read.offsetBytes < 12 * CHUNK && read.offsetBytes + read.lengthBytes > 8 * CHUNK), false, "zero chunks are not read");
      assert.equal(first.counters.bytesZeroAtSource, 4 * CHUNK);
      assert.equal(first.counters.bytesRead, data.byteLength - 4 * CHUNK);
      assert.deepEqual(await readBack(repository, first.point), data);
      assert.deepEqual(Buffer.from((await readDiskFingerprints(repository, first.point, 0))?.digests ?? []), (await source.fingerprint(SHA1_4K)).fingerprints.digests);

      // One 4 KiB block in chunk 3, two adjacent across chunks 20 and 21, and the short last block.
      const next = Buffer.from(data);
      for (const offset of [3 * CHUNK + 4 * K, 21 * CHUNK - 4 * K, 21 * CHUNK, 40 * CHUNK]) pattern(4 * K, offset).copy(next, offset, 0, Math.min(4 * K, next.byteLength - offset));
      next.fill(0, 30 * CHUNK, 31 * CHUNK);
      const changed = new MemoryDiskSource(next);
      const second = await backUp(repository, changed, { kind: "fingerprints" }, { previous: first.point });
      const reads = changed.reads.map((read) => [read.offsetBytes, read.lengthBytes]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
      assert.deepEqual(reads, [[3 * CHUNK + 4 * K, 4 * K], [21 * CHUNK - 4 * K, 8 * K], [40 * CHUNK, 3000]], "only the changed blocks, adjacent ones in one read");
      assert.deepEqual(second.changed, { ranges: 3, bytes: 3 * 4 * K + 3000 + CHUNK });
      assert.equal(second.counters.bytesZeroAtSource, CHUNK);
      const c = second.counters;
      assert.equal(c.bytesTakenOver + c.bytesRead + c.bytesZeroAtSource + c.bytesRebuiltUnread, next.byteLength);
      assert.deepEqual(await readBack(repository, second.point), next);
      assert.deepEqual(Buffer.from((await readDiskFingerprints(repository, second.point, 0))?.digests ?? []), (await changed.fingerprint(SHA1_4K)).fingerprints.digests);
    });
  });

  it("scattered changes are read over several channels, one read in flight per channel", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const data = pattern(64 * CHUNK, 2);
      const source = new MemoryDiskSource(data);
      const first = await backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K });
      const next = Buffer.from(data);
      for (let chunk = 0; chunk < 64; chunk += 4) next[chunk * CHUNK] = (next[chunk * CHUNK] ?? 0) ^ 0xff;
      const changed = new MemoryDiskSource(next);
      await backUp(repository, changed, { kind: "fingerprints" }, { previous: first.point });
      assert.equal(changed.reads.length, 16);
      assert.ok(changed.maxChannels > 1, `${changed.maxChannels} channel(s)`);
      assert.ok(new Set(changed.reads.map((read) => read.channel)).size > 1, "reads spread over the channels");
    });
  });

  it("a previous point without fingerprints, no kind asked to hash it at, is refused before anything is written", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const source = new MemoryDiskSource(pattern(8 * CHUNK, 3));
      const plain = await backUp(repository, source, { kind: "all" });
      const before = await repository.listPointIds();
      await assert.rejects(backUp(repository, source, { kind: "fingerprints" }, { previous: plain.point }), BackupPlanRefusedError);
      assert.deepEqual(await repository.listPointIds(), before);
      assert.equal(source.reads.length, 1, "only the first backup read the disk");
    });
  });
});

function mergeAdjacent(reads: number[][]): number[][] {
  const merged: number[][] = [];
  for (const [offset = 0, length = 0] of [...reads].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last[0] ?? 0) + (last[1] ?? 0) === offset) last[1] = (last[1] ?? 0) + length;
    else merged.push([offset, length]);
  }
  return merged;
}

describe("a first backup of chunks with all-zero blocks inside", () => {
  it("puts each run together from its reads and zeros alone, whatever the lane's runs before it held", async () => {
    const chunk = 64 * K;
    await withMemoryRepository(chunk, async (repository) => {
      // 10 runs of 4 MiB over 4 lanes, so lanes reuse their buffers; each chunk has one all-zero 4 KiB
      // block, never at the same place as in the chunk before, so a byte left over from a lane's earlier
      // run would show.
      const data = randomFillSync(Buffer.alloc(640 * chunk));
      const zeroBlockOf = (index: number): number => (index + Math.floor(index / 64)) % 16;
      for (let index = 0; index < 640; index += 1) data.fill(0, index * chunk + zeroBlockOf(index) * 4 * K, index * chunk + (zeroBlockOf(index) + 1) * 4 * K);
      const source = new MemoryDiskSource(data, { hashParts: { bytes: 64 * chunk } });
      const first = await backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K });
      assert.ok(source.reads.every((read) => read.lengthBytes < 4 * 1024 * K), "runs were read around their zero blocks");
      assert.deepEqual(await readBack(repository, first.point), data);
    });
  });
});

describe("backUpDisk over a source that reports its fingerprints in parts", () => {
  // A first backup and an incremental of the same changes as above, the source hashing in parts of 5 chunks
  // (not a whole number of parts per disk, so the last is short) reported in the given order.
  async function twoBackups(order: "forward" | "reverse"): Promise<{ first: Buffer; second: Buffer; reads: number[][]; changed: unknown }> {
    let result: { first: Buffer; second: Buffer; reads: number[][]; changed: unknown } | undefined;
    await withMemoryRepository(CHUNK, async (repository) => {
      const data = pattern(40 * CHUNK + 3000, 4);
      data.fill(0, 8 * CHUNK, 12 * CHUNK);
      const hashParts = { bytes: 5 * CHUNK, order };
      const source = new MemoryDiskSource(data, { hashParts });
      const first = await backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K });
      assert.equal(source.fingerprintLanes, 1, "a first backup hashes one part at a time, leaving the host to its reads");
      const next = Buffer.from(data);
      for (const offset of [3 * CHUNK + 4 * K, 15 * CHUNK - 4 * K, 15 * CHUNK, 40 * CHUNK]) pattern(4 * K, offset).copy(next, offset, 0, Math.min(4 * K, next.byteLength - offset));
      next.fill(0, 30 * CHUNK, 31 * CHUNK);
      const changed = new MemoryDiskSource(next, { hashParts });
      const second = await backUp(repository, changed, { kind: "fingerprints" }, { previous: first.point });
      assert.equal(changed.fingerprintLanes, undefined, "an incremental hashes on every channel");
      assert.deepEqual(await readBack(repository, first.point), data);
      assert.deepEqual(await readBack(repository, second.point), next);
      assert.deepEqual(Buffer.from((await readDiskFingerprints(repository, second.point, 0))?.digests ?? []), (await changed.fingerprint(SHA1_4K)).fingerprints.digests);
      result = {
        first: await readBack(repository, first.point),
        second: await readBack(repository, second.point),
        reads: mergeAdjacent(changed.reads.map((read) => [read.offsetBytes, read.lengthBytes])),
        changed: second.changed?.bytes,
      };
    });
    return result as NonNullable<typeof result>;
  }

  it("parts in disk order or last first: the same points, and only the changed blocks read", async () => {
    for (const order of ["forward", "reverse"] as const) {
      const { reads, changed } = await twoBackups(order);
      // The pair of blocks across chunks 14 and 15 also straddles the parts' boundary at chunk 15: planned in
      // two stretches, it is read as two blocks (merged here), where a whole-disk plan reads it in one.
      assert.deepEqual(reads, [[3 * CHUNK + 4 * K, 4 * K], [15 * CHUNK - 4 * K, 8 * K], [40 * CHUNK, 3000]], `${order}: only the changed blocks`);
      assert.equal(changed, 3 * 4 * K + 3000 + CHUNK, order);
    }
  });

  // A backup that waited for every fingerprint would wait forever here: the timeout turns that into a failure.
  it("the changed blocks of the parts hashed are read before the source has hashed the rest", { timeout: 30_000 }, async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const data = pattern(20 * CHUNK, 5);
      // The last part is reported only after a read.
      const source = new MemoryDiskSource(data, { hashParts: { bytes: 4 * CHUNK, lastAfterFirstRead: true } });
      const first = await backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K });
      assert.deepEqual(await readBack(repository, first.point), data);
    });
  });

  it("a hash command that fails mid-disk fails the backup with its error, nothing published", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const source = new MemoryDiskSource(pattern(20 * CHUNK, 6), { hashParts: { bytes: 4 * CHUNK, failAtPart: 2 } });
      await assert.rejects(backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K }), /the hash command failed/);
      assert.deepEqual(await repository.listPointIds(), []);
      assert.ok(source.reads.length > 0, "the first parts' blocks were being read");
    });
  });

  it("a read that fails stops the hashing of the rest", async () => {
    await withMemoryRepository(CHUNK, async (repository) => {
      const source = new MemoryDiskSource(pattern(40 * CHUNK, 7), { hashParts: { bytes: 4 * CHUNK } });
      source.failAtRead = 1;
      await assert.rejects(backUp(repository, source, { kind: "fingerprints" }, { fingerprints: SHA1_4K }), /connection lost/);
      assert.equal(source.fingerprintSignal?.aborted, true, "the source was told to stop hashing");
      assert.deepEqual(await repository.listPointIds(), []);
    });
  });
});
