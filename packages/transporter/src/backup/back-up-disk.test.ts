/**
 * The backup pipeline over a disk source that behaves as a host does (fingerprints computed where the disk
 * is, zero blocks marked, reads over numbered channels), into a real repository in memory: only the changed
 * blocks are read, never more than one read per channel at a time, zero chunks are never read, and every
 * point reads back byte for byte.
 */
import { strict as assert } from "node:assert";
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
