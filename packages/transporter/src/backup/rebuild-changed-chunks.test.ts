/**
 * Patching changed chunks from their changed blocks, and hashing a previous point again when its
 * fingerprints cannot be compared, over a source that counts the bytes it is asked for: with 1 % of the
 * 64 KiB blocks changed, the source is asked for those blocks alone — about 1 % of the disk, not the
 * (much larger) chunks holding them — and every point restores to the new image byte for byte, also for a
 * disk grown or shrunk since the previous point.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { ChangeFingerprints, PointId } from "@esxbackup/domain";
import { DiskReader, readDiskFingerprints } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { backUpDisk } from "./back-up-disk.js";
import type { BackUpDiskResult } from "./back-up-disk.js";
import { MemoryDiskSource, withMemoryRepository } from "./memory-disk-source.js";
import type { ChangeSource } from "./plan-backup.js";
import { sortedWithin } from "./rebuild-changed-chunks.js";

const K = 1024;
const M = 1024 * K;
const BLOCK = 64 * K;
const MD5_64K: ChangeFingerprints = { algorithm: "md5", blockSizeBytes: BLOCK, digestLengthBytes: 16 };
const SHA1_4K: ChangeFingerprints = { algorithm: "sha1", blockSizeBytes: 4 * K, digestLengthBytes: 20 };
const BY_FINGERPRINTS: ChangeSource = { kind: "fingerprints" };

// 1 MiB chunks: sixteen 64 KiB blocks each, so a patched chunk costs a sixteenth of a whole-chunk read.
const withRepository = (run: (repository: Repository) => Promise<void>, options: { formatVersion?: number } = {}): Promise<void> => withMemoryRepository(M, run, options);

async function backUp(repository: Repository, data: Buffer, options: { previous?: PointId; fingerprints?: ChangeFingerprints; changes?: ChangeSource } = {}): Promise<BackUpDiskResult & { source: MemoryDiskSource }> {
  const source = new MemoryDiskSource(data);
  const result = await backUpDisk({
    repository,
    source,
    point: { vm: { name: "vm", id: "1" }, host: "esx1", configFiles: [], tags: [], ...(options.previous === undefined ? {} : { previousPointId: options.previous }) },
    disk: { key: "scsi0:0" },
    changes: options.changes ?? BY_FINGERPRINTS,
    ...(options.fingerprints === undefined ? {} : { fingerprints: options.fingerprints }),
    signal: new AbortController().signal,
    clock: { now: () => new Date(0) },
    progress: { start: () => ({ update: () => undefined, stop: () => undefined }) },
  });
  return { ...result, source };
}

/** The point's disk equals `expected` byte for byte (a mismatch names the first differing offset, not a diff of megabytes). */
/** A first backup of a random image of `sizeBytes`; with a copy of the image to change for the next one. */
async function firstBackup(repository: Repository, sizeBytes: number, options: { fingerprints?: ChangeFingerprints; changes?: ChangeSource }): Promise<{ image: Buffer; point: BackUpDiskResult & { source: MemoryDiskSource }; next: Buffer }> {
  const image = randomBytes(sizeBytes);
  return { image, point: await backUp(repository, image, options), next: Buffer.from(image) };
}

async function assertRestores(repository: Repository, point: PointId, expected: Buffer): Promise<void> {
  const reader = await DiskReader.open(repository, point, 0);
  const actual = await reader.readRange(0, reader.sizeBytes);
  assert.equal(actual.byteLength, expected.byteLength, "restored size");
  const differs = actual.findIndex((byte, offset) => byte !== expected[offset]);
  assert.equal(differs, -1, `restored bytes differ from the image first at offset ${differs}`);
}

/** Overwrites every `every`-th 64 KiB block from `first` with new bytes; returns the bytes changed. */
function changeBlocks(data: Buffer, first: number, every: number): number {
  let bytes = 0;
  for (let offset = first * BLOCK; offset < data.byteLength; offset += every * BLOCK) {
    const length = Math.min(BLOCK, data.byteLength - offset);
    randomBytes(length).copy(data, offset);
    bytes += length;
  }
  return bytes;
}

function assertEveryByteCounted(result: BackUpDiskResult, sizeBytes: number): void {
  const c = result.counters;
  assert.equal(c.bytesTakenOver + c.bytesRead + c.bytesZeroAtSource + c.bytesRebuiltUnread, sizeBytes, "every byte of the disk counted once");
}

describe("rebuilding changed chunks from their changed blocks", () => {
  it("1 % of the 64 KiB blocks changed: the source is asked for those blocks only, and the point restores byte for byte", async () => {
    await withRepository(async (repository) => {
      const image = randomBytes(32 * M);
      const first = await backUp(repository, image, { fingerprints: MD5_64K });
      assert.equal(first.source.bytesRequested, image.byteLength);
      const next = Buffer.from(image);
      // 512 blocks, every 100th from block 7 changed: 6 blocks in 6 different chunks.
      const changedBytes = changeBlocks(next, 7, 100);
      assert.equal(changedBytes, 6 * BLOCK);
      const second = await backUp(repository, next, { previous: first.point });
      assert.equal(second.source.bytesRequested, changedBytes, "only the changed blocks, not the 6 MiB of chunks holding them");
      assert.equal(second.counters.bytesRead, changedBytes);
      assert.deepEqual(second.changed, { ranges: 6, bytes: changedBytes });
      assert.equal(second.counters.chunksRead, 6, "six chunks rebuilt");
      assert.equal(second.counters.bytesRebuiltUnread, 6 * M - changedBytes);
      assertEveryByteCounted(second, next.byteLength);
      assert.ok(second.source.reads.every((read) => read.lengthBytes === BLOCK), "one read per changed block");
      await assertRestores(repository, second.point, next);
    });
  });

  it("adjacent changed blocks are one read; a changed block found all zero is not read at all", async () => {
    await withRepository(async (repository) => {
      const { point: first, next } = await firstBackup(repository, 4 * M, { fingerprints: MD5_64K });
      randomBytes(3 * BLOCK).copy(next, M + 2 * BLOCK);
      next.fill(0, 3 * M, 3 * M + BLOCK);
      const second = await backUp(repository, next, { previous: first.point });
      assert.deepEqual(second.source.reads.map((read) => [read.offsetBytes, read.lengthBytes]), [[M + 2 * BLOCK, 3 * BLOCK]]);
      await assertRestores(repository, second.point, next);
      assertEveryByteCounted(second, next.byteLength);
    });
  });

  for (const [name, resize] of [
    ["grown", (image: Buffer): Buffer => Buffer.concat([image, randomBytes(M + 3 * BLOCK + 1000)])],
    ["shrunk", (image: Buffer): Buffer => Buffer.from(image.subarray(0, 2 * M + 5 * BLOCK + 1000))],
  ] as const) {
    it(`a disk ${name} since the previous point: its old or new last chunk patched to the new length, the point equal to the new image`, async () => {
      await withRepository(async (repository) => {
        const image = randomBytes(4 * M + 7 * BLOCK + 300);
        const first = await backUp(repository, image, { fingerprints: MD5_64K });
        const next = resize(image);
        const changedBytes = changeBlocks(next, 3, 20);
        const second = await backUp(repository, next, { previous: first.point });
        await assertRestores(repository, second.point, next);
        assertEveryByteCounted(second, next.byteLength);
        // Besides the changed blocks only the grown tail and the block whose length changed are read.
        const tailBytes = next.byteLength > image.byteLength ? next.byteLength - Math.floor(image.byteLength / BLOCK) * BLOCK : next.byteLength % BLOCK;
        assert.ok(second.source.bytesRequested <= changedBytes + tailBytes, `${second.source.bytesRequested} bytes read; changed ${changedBytes}, tail ${tailBytes}`);
      });
    });
  }
});

describe("a chunk whose stored base is gone", () => {
  it("is read whole from the source, changed or not, and the point restores", async () => {
    // A version-1 repository checks every chunk it takes over, so one removed since is not taken over.
    await withRepository(
      async (repository) => {
        const image = randomBytes(4 * M);
        const first = await backUp(repository, image, { fingerprints: MD5_64K });
        const index = (await DiskReader.open(repository, first.point, 0)).index;
        for (const chunk of [1, 3]) {
          const digest = index.get(chunk);
          assert.equal(await repository.store.remove(`chunks/${digest.slice(0, 2)}/${digest}`), true);
        }
        const next = Buffer.from(image);
        randomBytes(BLOCK).copy(next, M + 5 * BLOCK);
        const second = await backUp(repository, next, { previous: first.point });
        assert.deepEqual(second.source.reads.map((read) => [read.offsetBytes, read.lengthBytes]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)), [[M, M], [3 * M, M]]);
        await assertRestores(repository, second.point, next);
      },
      { formatVersion: 1 },
    );
  });
});

describe("a previous point whose fingerprints cannot be compared is hashed again from the repository", () => {
  it("made without fingerprints: the incremental reads only the changed blocks", async () => {
    await withRepository(async (repository) => {
      const image = randomBytes(8 * M + 5000);
      const plain = await backUp(repository, image, { changes: { kind: "all" } });
      const next = Buffer.from(image);
      const changedBytes = changeBlocks(next, 5, 40);
      const second = await backUp(repository, next, { previous: plain.point, fingerprints: MD5_64K });
      assert.equal(second.source.bytesRequested, changedBytes);
      assert.equal(second.fingerprints?.algorithm, "md5");
      await assertRestores(repository, second.point, next);
    });
  });

  it("under a changed list recording fingerprints: the blocks not read take theirs from the previous disk hashed again", async () => {
    await withRepository(async (repository) => {
      const image = randomBytes(4 * M);
      const plain = await backUp(repository, image, { changes: { kind: "all" } });
      const next = Buffer.from(image);
      randomBytes(BLOCK).copy(next, 2 * M);
      const second = await backUp(repository, next, { previous: plain.point, fingerprints: MD5_64K, changes: { kind: "listed", ranges: [{ offsetBytes: 2 * M, lengthBytes: BLOCK }] } });
      assert.equal(second.source.bytesRequested, M, "the listed range's chunk, read whole");
      const recorded = await readDiskFingerprints(repository, second.point, 0);
      assert.deepEqual(Buffer.from(recorded?.digests ?? []), (await new MemoryDiskSource(next).fingerprint(MD5_64K)).fingerprints.digests);
      await assertRestores(repository, second.point, next);
    });
  });

  it("of another kind (sha1 in 4 KiB blocks, the source computing md5 in 64 KiB): hashed again at the source's kind", async () => {
    await withRepository(async (repository) => {
      const { point: first, next } = await firstBackup(repository, 8 * M, { fingerprints: SHA1_4K });
      const changedBytes = changeBlocks(next, 9, 50);
      const second = await backUp(repository, next, { previous: first.point, fingerprints: MD5_64K });
      assert.equal(second.source.bytesRequested, changedBytes);
      assert.deepEqual(second.fingerprints, MD5_64K);
      await assertRestores(repository, second.point, next);
      // The next backup compares with what this one recorded, without hashing anything again.
      const third = await backUp(repository, next, { previous: second.point });
      assert.equal(third.source.bytesRequested, 0);
    });
  });
});

describe("sortedWithin", () => {
  const chunks = [1, 4, 5, 9, 12];
  const table: [string, number, number, number[]][] = [
    ["a stretch in the middle: its own chunks, not the next stretch's first", 4, 9, [4, 5]],
    ["a stretch ending on the list's last", 9, 13, [9, 12]],
    ["a stretch before every chunk", 0, 1, []],
    ["a stretch past every chunk", 13, 20, []],
    ["the whole list", 0, 100, chunks],
  ];
  for (const [name, from, to, expected] of table) it(name, () => assert.deepEqual(sortedWithin(chunks, from, to), expected));
});
