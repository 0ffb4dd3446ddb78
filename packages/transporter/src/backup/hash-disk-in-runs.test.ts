/**
 * The fingerprint pass over a whole disk holds READS_IN_FLIGHT run buffers however large the disk (reads
 * land in buffers that come back from the hashing thread) and its digests are those of the disk's blocks;
 * a point's disk hashed from the repository gives what its source gives.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ChangeFingerprints } from "@esxbackup/domain";
import { FingerprintHasher } from "@esxbackup/repository";
import { backUpDisk } from "./back-up-disk.js";
import { hashDiskInRuns } from "./hash-disk-in-runs.js";
import { hashPointDisk } from "./hash-point-disk.js";
import { MemoryDiskSource, withMemoryRepository } from "./memory-disk-source.js";
import { READS_IN_FLIGHT, RUN_BYTES } from "./read-runs.js";

const K = 1024;
const SHA1_64K: ChangeFingerprints = { algorithm: "sha1", blockSizeBytes: 64 * K, digestLengthBytes: 20 };

/** Every 4 KiB holds its own offset, so a block read from the wrong place or a stale buffer hashes differently. */
function offsetStamped(sizeBytes: number): Buffer {
  const disk = Buffer.alloc(sizeBytes, 0x5a);
  for (let offset = 0; offset + 8 <= sizeBytes; offset += 4 * K) disk.writeDoubleLE(offset, offset);
  return disk;
}

async function referenceDigests(disk: Buffer, kind: ChangeFingerprints): Promise<Buffer> {
  const hasher = new FingerprintHasher("sha1", kind.blockSizeBytes, { threads: 0 });
  return (await hasher.hash(disk)).digests;
}

/** A reader of `disk` that counts its reads in flight and the distinct buffers it is asked to fill. */
function countingReader(disk: Buffer): { readInto: (offset: number, target: Uint8Array) => Promise<void>; mostInFlight: () => number; buffers: Set<ArrayBufferLike> } {
  let inFlight = 0;
  let most = 0;
  const buffers = new Set<ArrayBufferLike>();
  return {
    readInto: async (offset, target) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      buffers.add(target.buffer);
      try {
        await Promise.resolve();
        target.set(disk.subarray(offset, offset + target.byteLength));
      } finally {
        inFlight -= 1;
      }
    },
    mostInFlight: () => most,
    buffers,
  };
}

describe("hashDiskInRuns", () => {
  // Ten full runs and a short last one that ends in a short block.
  const disk = offsetStamped(10 * RUN_BYTES + 3 * 64 * K + 100);

  it("reuses READS_IN_FLIGHT run buffers however many runs the disk has (and one for a short last run)", async () => {
    const reader = countingReader(disk);
    const fingerprints = await hashDiskInRuns({ sizeBytes: disk.byteLength, kind: SHA1_64K, readInto: reader.readInto, signal: new AbortController().signal, onProgress: () => undefined, hashingThreads: 0 });
    assert.equal(reader.mostInFlight(), READS_IN_FLIGHT);
    assert.equal(reader.buffers.size, READS_IN_FLIGHT + 1);
    assert.deepEqual(fingerprints.digests, await referenceDigests(disk, SHA1_64K));
  });

  it("hashing on the hasher's thread, buffers sent there and back are read into again without mixing runs", async () => {
    const reader = countingReader(disk);
    let reported = 0;
    const fingerprints = await hashDiskInRuns({ sizeBytes: disk.byteLength, kind: SHA1_64K, readInto: reader.readInto, signal: new AbortController().signal, onProgress: (done) => (reported = done) });
    assert.ok(reader.mostInFlight() <= READS_IN_FLIGHT);
    assert.equal(reported, disk.byteLength);
    assert.deepEqual(fingerprints.digests, await referenceDigests(disk, SHA1_64K));
  });

  it("runs known to be zero are neither read nor hashed, and get the digests of zero blocks", async () => {
    const withZeros = Buffer.from(disk);
    withZeros.fill(0, 2 * RUN_BYTES, 5 * RUN_BYTES);
    withZeros.fill(0, 10 * RUN_BYTES);
    const reader = countingReader(withZeros);
    const read: number[] = [];
    const fingerprints = await hashDiskInRuns({
      sizeBytes: withZeros.byteLength,
      kind: SHA1_64K,
      readInto: (offset, target) => (read.push(offset), reader.readInto(offset, target)),
      isZero: (offset, length) => withZeros.subarray(offset, offset + length).every((byte) => byte === 0),
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    assert.deepEqual(
      read.sort((a, b) => a - b),
      [0, 1, 5, 6, 7, 8, 9].map((run) => run * RUN_BYTES),
    );
    assert.deepEqual(fingerprints.digests, await referenceDigests(withZeros, SHA1_64K));
  });

  it("a failed read fails the pass", async () => {
    await assert.rejects(
      hashDiskInRuns({ sizeBytes: disk.byteLength, kind: SHA1_64K, readInto: async () => Promise.reject(new Error("disk gone")), signal: new AbortController().signal, onProgress: () => undefined }),
      /disk gone/,
    );
  });
});

describe("hashPointDisk", () => {
  it("a point's disk hashed from the repository gives its source's fingerprints", async () => {
    const CHUNK = 16 * K;
    const kind: ChangeFingerprints = { algorithm: "sha1", blockSizeBytes: 4 * K, digestLengthBytes: 20 };
    await withMemoryRepository(CHUNK, async (repository) => {
      // A whole run of zero chunks (not read), zero chunks inside a run, a short last chunk.
      const data = offsetStamped(2 * RUN_BYTES + 70 * CHUNK + 3000);
      data.fill(0, RUN_BYTES, 2 * RUN_BYTES);
      data.fill(0, 10 * CHUNK, 14 * CHUNK);
      const source = new MemoryDiskSource(data);
      const backup = await backUpDisk({
        repository,
        source,
        point: { vm: { name: "vm", id: "1" }, host: "esx1", configFiles: [], tags: [] },
        disk: { key: "disk0" },
        changes: { kind: "all" },
        signal: new AbortController().signal,
        clock: { now: () => new Date(0) },
        progress: { start: () => ({ update: () => undefined, stop: () => undefined }) },
      });
      const fingerprints = await hashPointDisk(repository, { pointId: backup.point, diskIndex: 0 }, kind, { signal: new AbortController().signal, onProgress: () => undefined });
      assert.deepEqual(fingerprints.digests, (await source.fingerprint(kind)).fingerprints.digests);
    });
  });
});
