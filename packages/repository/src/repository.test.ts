import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { changePassphrase } from "./change-passphrase.js";
import { CHUNKS_IN_FLIGHT_PER_RANGE, DiskReader } from "./disk-reader.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { PointWriter } from "./point-writer.js";
import { Repository } from "./repository.js";
import { DEFAULT_COMPRESSION_LEVEL, UNRECORDED_COMPRESSION_LEVEL } from "./envelope.js";
import { REPOSITORY_FORMAT_VERSION, compressionLevelOf } from "./repository-config.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { UnsupportedFormatError } from "./unsupported-format-error.js";
import { verifyRepository } from "./verify-repository.js";
import { WrongPassphraseError } from "./wrong-passphrase-error.js";
import { backUpImage, makeImage, readWholeDisk, sha256, storeWith } from "./test-disk.js";

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
const CHUNK = 16 * 1024;

async function fresh(options: { encrypt?: boolean; threads?: number } = {}) {
  const store = new MemoryBlobStore();
  const repository = await Repository.init(store, {
    chunkSizeBytes: CHUNK,
    threads: options.threads ?? 2,
    ...(options.encrypt === true ? { encrypt: true, passphrase: "correct horse", scrypt: FAST_SCRYPT } : {}),
  });
  return { store, repository };
}

describe("Repository round trips", () => {
  for (const encrypt of [false, true]) {
    for (const sizeBytes of [0, 1, 4095, CHUNK, 3 * CHUNK + 517, 37 * CHUNK]) {
      it(`${encrypt ? "encrypted" : "plain"}: a ${sizeBytes}-byte image comes back byte-exact`, async () => {
        const { repository } = await fresh({ encrypt });
        try {
          const image = makeImage(sizeBytes, sizeBytes + 7);
          const { pointId } = await backUpImage(repository, image);
          assert.equal(sha256(await readWholeDisk(repository, pointId)), sha256(image));
          const point = await repository.readPoint(pointId);
          assert.equal(point.disks[0]?.sizeBytes, sizeBytes);
        } finally {
          await repository.close();
        }
      });
    }
  }

  for (const encrypt of [false, true]) {
    it(`${encrypt ? "encrypted" : "plain"}: a version-2 repository is still read and written by its own rules (envelope version 1, no points log)`, async () => {
      const store = new MemoryBlobStore();
      const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 1, formatVersion: 2, ...(encrypt ? { encrypt: true, passphrase: "pw", scrypt: FAST_SCRYPT } : {}) });
      const image = makeImage(6 * CHUNK + 5, 12);
      const first = await backUpImage(repository, image);
      const second = await backUpImage(repository, image, { previousPointId: first.pointId, changed: [] });
      await repository.close();
      const config = JSON.parse((await store.read("config.json")).toString()) as Record<string, unknown>;
      assert.equal(config["formatVersion"], 2);
      assert.equal(config["configMac"], undefined);
      assert.equal((await store.read(`points/${second.pointId}.manifest`))[4], 1, "envelope version 1");
      assert.deepEqual(await store.list("log"), []);
      const reopened = await Repository.open(store, { threads: 1, ...(encrypt ? { passphrase: "pw" } : {}) });
      assert.equal(sha256(await readWholeDisk(reopened, second.pointId)), sha256(image));
      const report = await verifyRepository(reopened);
      assert.deepEqual(report.problems, []);
      assert.equal(report.pointsLog, undefined, "version 2 has no points log");
      await reopened.close();
    });
  }

  it("stores zero chunks as marks and identical chunks once", async () => {
    const { store, repository } = await fresh();
    try {
      const image = Buffer.alloc(8 * CHUNK);
      const block = makeImage(CHUNK, 3);
      block.copy(image, 2 * CHUNK);
      block.copy(image, 5 * CHUNK);
      const { pointId, writer } = await backUpImage(repository, image);
      assert.equal(writer.stats.chunksStored, 1);
      assert.equal(writer.stats.bytesSkippedZero, 6 * CHUNK);
      const point = await repository.readPoint(pointId);
      assert.equal(point.disks[0]?.zeroChunkCount, 6);
      const stored = (await Promise.all((await store.list("chunks")).map((sub) => store.list(`chunks/${sub}`)))).flat().filter((n) => !n.startsWith("."));
      assert.equal(stored.length, 1);
      assert.equal(sha256(await readWholeDisk(repository, pointId)), sha256(image));
    } finally {
      await repository.close();
    }
  });

  it("reads ranges across chunk boundaries", async () => {
    const { repository } = await fresh();
    try {
      const image = makeImage(5 * CHUNK + 100, 9);
      const { pointId } = await backUpImage(repository, image);
      const reader = await DiskReader.open(repository, pointId, 0);
      for (const [offset, length] of [[0, 1], [CHUNK - 3, 10], [CHUNK * 2 + 5, CHUNK * 2], [5 * CHUNK, 100], [0, image.byteLength]] as const) {
        assert.deepEqual(await reader.readRange(offset, length), image.subarray(offset, offset + length));
      }
      await assert.rejects(reader.readRange(5 * CHUNK + 50, 51), /outside/);
    } finally {
      await repository.close();
    }
  });

  it("a long range is read with at most CHUNKS_IN_FLIGHT_PER_RANGE chunks in flight, zero chunks not at all (and known without reading)", async () => {
    const { store, repository } = await fresh();
    const image = makeImage(37 * CHUNK + 100, 21);
    const { pointId } = await backUpImage(repository, image);
    await repository.close();
    let inFlight = 0;
    let most = 0;
    let chunkReads = 0;
    const counting = storeWith(store, {
      read: async (key) => {
        if (!key.startsWith("chunks/")) return store.read(key);
        inFlight += 1;
        chunkReads += 1;
        most = Math.max(most, inFlight);
        try {
          return await store.read(key);
        } finally {
          inFlight -= 1;
        }
      },
    });
    const reopened = await Repository.open(counting, { threads: 2 });
    try {
      const reader = await DiskReader.open(reopened, pointId, 0);
      assert.deepEqual(await reader.readRange(0, image.byteLength), image);
      assert.equal(most, CHUNKS_IN_FLIGHT_PER_RANGE);
      assert.equal(chunkReads, reader.index.chunkCount - (await reopened.readPoint(pointId)).disks[0]!.zeroChunkCount);
      // makeImage zeroes its second quarter: chunks 10 to 17 whole.
      assert.equal(reader.isZeroRange(10 * CHUNK, 8 * CHUNK), true);
      assert.equal(reader.isZeroRange(10 * CHUNK - 1, 8 * CHUNK), false);
      assert.equal(reader.isZeroRange(10 * CHUNK, 8 * CHUNK + 1), false);
      const target = Buffer.alloc(5 * CHUNK + 9, 0xee);
      await reader.readInto(2 * CHUNK - 4, target);
      assert.deepEqual(target, image.subarray(2 * CHUNK - 4, 7 * CHUNK + 5));
    } finally {
      await reopened.close();
    }
  });

  for (const encrypt of [false, true]) {
    it(`${encrypt ? "encrypted" : "plain"}: a reader decoding inline reads what the codec pool reads, and names a damaged chunk`, async () => {
      const { store, repository } = await fresh({ encrypt });
      try {
        const image = makeImage(9 * CHUNK + 77, 5);
        const { pointId } = await backUpImage(repository, image);
        const reader = await DiskReader.open(repository, pointId, 0, { decodeInline: true });
        assert.deepEqual(await reader.readRange(0, image.byteLength), image);
        const chunkFile = (await Promise.all((await store.list("chunks")).map(async (sub) => (await store.list(`chunks/${sub}`)).filter((name) => !name.startsWith(".")).map((name) => `chunks/${sub}/${name}`)))).flat()[0]!;
        const damaged = Buffer.from(await store.read(chunkFile));
        damaged[damaged.byteLength - 1]! ^= 1;
        await store.write(chunkFile, damaged);
        await assert.rejects(reader.readRange(0, image.byteLength), (error) => error instanceof RepositoryFileError && error.message.includes(chunkFile));
      } finally {
        await repository.close();
      }
    });
  }

  it("an incremental with known changes reads only the changed chunks and is complete", async () => {
    const { repository } = await fresh();
    try {
      const first = makeImage(40 * CHUNK + 123, 1);
      const base = await backUpImage(repository, first);
      const second = Buffer.from(first);
      second.fill(0xab, 3 * CHUNK + 10, 3 * CHUNK + 20);
      second.fill(0xcd, 40 * CHUNK, 40 * CHUNK + 5);
      const changed = [{ offsetBytes: 3 * CHUNK + 10, lengthBytes: 10 }, { offsetBytes: 40 * CHUNK, lengthBytes: 5 }];
      const next = await backUpImage(repository, second, { previousPointId: base.pointId, changed });
      assert.equal(next.chunksRead, 2);
      assert.equal(next.writer.stats.chunksStored, 2);
      assert.equal(sha256(await readWholeDisk(repository, next.pointId)), sha256(second));
      assert.equal(sha256(await readWholeDisk(repository, base.pointId)), sha256(first));
      assert.equal((await repository.readPoint(next.pointId)).previousPointId, base.pointId);
    } finally {
      await repository.close();
    }
  });

  it("a full re-read with a previous point stores only new chunks; a grown disk re-reads its old last chunk", async () => {
    const { repository } = await fresh();
    try {
      const first = makeImage(10 * CHUNK + 1000, 2);
      const base = await backUpImage(repository, first);
      const grown = Buffer.concat([first, makeImage(3 * CHUNK, 5)]);
      const next = await backUpImage(repository, grown, { previousPointId: base.pointId, changed: [] });
      assert.deepEqual(next.writer.stats.chunksStored, 4);
      assert.equal(next.chunksRead, 4);
      assert.equal(sha256(await readWholeDisk(repository, next.pointId)), sha256(grown));
      const again = await backUpImage(repository, grown, { previousPointId: next.pointId });
      assert.equal(again.writer.stats.chunksStored, 0);
      assert.equal(again.chunksRead, 14);
    } finally {
      await repository.close();
    }
  });

  it("refuses to commit a disk with chunks never written, and publishes nothing", async () => {
    const { repository } = await fresh();
    try {
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const disk = await writer.openDisk({ key: "scsi0:0", name: "d.vmdk", sizeBytes: 3 * CHUNK });
      await disk.writeChunk(0, Buffer.alloc(CHUNK, 1));
      await assert.rejects(writer.commit(), /2 chunk\(s\) never written.*1 \(offset 16384\)/);
      assert.deepEqual(await repository.listPointIds(), []);
      await assert.rejects(disk.writeChunk(1, Buffer.alloc(CHUNK)), /already committed or aborted/);
      await assert.rejects(writer.commit(), /already aborted/);
    } finally {
      await repository.close();
    }
  });

  it("publishes only once the condition given to commit holds: refused, nothing is published and its error is thrown as it is", async () => {
    const { repository } = await fresh();
    try {
      const refused = new Error("the snapshot was removed by someone else");
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const disk = await writer.openDisk({ key: "scsi0:0", name: "d.vmdk", sizeBytes: 2 * CHUNK });
      await disk.writeChunks(0, randomBytes(2 * CHUNK));
      // Rejected before commit looks at it: still not an unhandled rejection, still the reason.
      await assert.rejects(writer.commit({ beforePublish: Promise.reject(refused) }), (error) => error === refused);
      assert.deepEqual(await repository.listPointIds(), []);
      await assert.rejects(writer.commit(), /already aborted/);
      const report = await verifyRepository(repository);
      assert.deepEqual(report.problems, []);

      let hold: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (hold = resolve));
      const next = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const again = await next.openDisk({ key: "scsi0:0", name: "d.vmdk", sizeBytes: CHUNK });
      await again.writeChunk(0, randomBytes(CHUNK));
      let published = false;
      const committing = next.commit({ beforePublish: held }).then((point) => ((published = true), point));
      // The flush and the indexes go on meanwhile; the point waits for the condition.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(published, false);
      assert.deepEqual(await repository.listPointIds(), []);
      hold();
      const point = await committing;
      assert.deepEqual(await repository.listPointIds(), [point.pointId]);
    } finally {
      await repository.close();
    }
  });

  it("rejects chunks of the wrong size or position", async () => {
    const { repository } = await fresh();
    try {
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const disk = await writer.openDisk({ key: "scsi0:0", name: "d.vmdk", sizeBytes: CHUNK + 10 });
      await assert.rejects(disk.writeChunk(1, Buffer.alloc(CHUNK)), /must be 10 bytes/);
      await assert.rejects(disk.writeChunk(2, Buffer.alloc(10)), /outside 0\.\.1/);
      await writer.abort();
    } finally {
      await repository.close();
    }
  });

  it("disks of one point written at once keep their own stats, which add up to the writer's", async () => {
    const { repository } = await fresh();
    try {
      const [x, y] = [randomBytes(4 * CHUNK), randomBytes(4 * CHUNK)];
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const first = await writer.openDisk({ key: "scsi0:0", name: "a.vmdk", sizeBytes: 6 * CHUNK });
      const second = await writer.openDisk({ key: "scsi0:1", name: "b.vmdk", sizeBytes: 5 * CHUNK });
      // The first disk: x, then two zero chunks; the second: y, then x again, which the first stores.
      await Promise.all([first.writeChunks(0, Buffer.concat([x, Buffer.alloc(2 * CHUNK)])), second.writeChunks(0, Buffer.from(y))]);
      await second.writeChunk(4, x.subarray(0, CHUNK));
      assert.deepEqual([first.stats.chunksStored, first.stats.chunksDeduplicated, first.stats.bytesSkippedZero], [4, 0, 2 * CHUNK]);
      assert.deepEqual([second.stats.chunksStored, second.stats.chunksDeduplicated, second.stats.bytesDeduplicated], [4, 1, CHUNK]);
      for (const field of ["bytesStored", "chunksStored", "bytesDeduplicated", "chunksDeduplicated", "bytesSkippedZero", "bytesTakenOver"] as const) {
        assert.equal(first.stats[field] + second.stats[field], writer.stats[field], field);
      }
      const point = await writer.commit();
      assert.deepEqual(point.disks.map((disk) => disk.key), ["scsi0:0", "scsi0:1"]);
    } finally {
      await repository.close();
    }
  });

  it("chunks recorded as zero over chunks taken over read back as zeros and count as zero, the short last one included", async () => {
    const { repository } = await fresh();
    try {
      const sizeBytes = 5 * CHUNK + 10;
      const data = makeImage(sizeBytes, 21);
      const base = await backUpImage(repository, data);
      const writer = await PointWriter.begin(repository, { vm: { name: "vm one", id: "1" }, host: "test-host", previousPointId: base.pointId });
      const disk = await writer.openDisk({ key: "scsi0:0", name: "disk.vmdk", sizeBytes });
      disk.writeZeroChunks(2, 3);
      assert.throws(() => disk.writeZeroChunks(5, 2), /chunks 5\.\.6 are outside 0\.\.5/);
      assert.throws(() => disk.writeZeroChunks(3, 0), /outside/);
      disk.writeZeroChunks(5, 1);
      assert.deepEqual([disk.stats.bytesSkippedZero, writer.stats.bytesSkippedZero, disk.stats.bytesTakenOver], [3 * CHUNK + 10, 3 * CHUNK + 10, 2 * CHUNK]);
      const point = await writer.commit();
      assert.equal(point.disks[0]?.zeroChunkCount, 4);
      assert.equal(sha256(await readWholeDisk(repository, point.pointId)), sha256(Buffer.concat([data.subarray(0, 2 * CHUNK), Buffer.alloc(3 * CHUNK + 10)])));
    } finally {
      await repository.close();
    }
  });

  it("concurrent runs holding the same chunks in crossed order, or one chunk twice, do not wait on each other", async () => {
    const { repository } = await fresh();
    try {
      const [x, y, z] = [1, 2, 3].map((seed) => makeImage(CHUNK, seed)) as [Buffer, Buffer, Buffer];
      const runs = [Buffer.concat([x, y]), Buffer.concat([y, x]), Buffer.concat([z, z])];
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const disk = await writer.openDisk({ key: "scsi0:0", name: "d.vmdk", sizeBytes: 6 * CHUNK });
      await Promise.all(runs.map((run, position) => disk.writeChunks(2 * position, Buffer.from(run))));
      const point = await writer.commit();
      assert.equal(writer.stats.chunksStored, 3);
      assert.equal(writer.stats.chunksDeduplicated, 3);
      assert.equal(sha256(await readWholeDisk(repository, point.pointId)), sha256(Buffer.concat(runs)));
    } finally {
      await repository.close();
    }
  });

  it("a full disk mid-write publishes nothing and names the file", async () => {
    const { store, repository } = await fresh();
    try {
      store.failWritesAfterBytes(3 * CHUNK);
      await assert.rejects(backUpImage(repository, makeImage(20 * CHUNK, 11)), (error: unknown) => {
        assert.ok(error instanceof RepositoryFileError);
        assert.match(error.message, /chunks\/[0-9a-f]{2}\/[0-9a-f]{64}: no space left/);
        return true;
      });
      assert.deepEqual(await repository.listPointIds(), []);
    } finally {
      await repository.close();
    }
  });
});

describe("Repository opening", () => {
  it("a wrong passphrase is refused clearly; the right one opens", async () => {
    const { store, repository } = await fresh({ encrypt: true });
    const { pointId } = await backUpImage(repository, makeImage(3 * CHUNK, 4));
    await repository.close();
    await assert.rejects(Repository.open(store, { passphrase: "wrong" }), (error: unknown) => {
      assert.ok(error instanceof WrongPassphraseError);
      assert.ok(error instanceof InvalidInputError);
      assert.match(error.message, /^passphrase: does not open any key in memory:keys/);
      return true;
    });
    await assert.rejects(Repository.open(store, {}), /repository is encrypted/);
    const reopened = await Repository.open(store, { passphrase: "correct horse", threads: 0 });
    assert.deepEqual(await reopened.listPointIds(), [pointId]);
    await reopened.close();
  });

  it("opens while a passphrase change replaces the key file it had just listed", async () => {
    const { store, repository } = await fresh({ encrypt: true });
    await repository.close();
    const staleListing = await store.list("keys");
    await changePassphrase(store, { currentPassphrase: "correct horse", newPassphrase: "battery staple", scrypt: FAST_SCRYPT });
    assert.notDeepEqual(await store.list("keys"), staleListing);
    // The opener lists the folder before the change and reads the file after it.
    let listings = 0;
    const racing = storeWith(store, {
      list: async (folder) => (folder === "keys" && ++listings === 1 ? staleListing : store.list(folder)),
    });
    const reopened = await Repository.open(racing, { passphrase: "battery staple", threads: 0 });
    assert.equal(listings, 2);
    await reopened.close();
    await assert.rejects(Repository.open(racing, { passphrase: "correct horse" }), WrongPassphraseError);
  });

  it("every envelope of an encrypted repository has its own nonce; the point's files share their writer's session", async () => {
    const { store, repository } = await fresh({ encrypt: true, threads: 2 });
    const { pointId } = await backUpImage(repository, makeImage(37 * CHUNK, 21));
    await repository.close();
    const files = [`points/${pointId}.manifest`, `indexes/${pointId}/disk-0.fidx`];
    for (const sub of await store.list("chunks")) for (const name of await store.list(`chunks/${sub}`)) if (!name.startsWith(".")) files.push(`chunks/${sub}/${name}`);
    const envelopes = await Promise.all(files.map((key) => store.read(key)));
    assert.ok(envelopes.length > 20, `${envelopes.length} files`);
    const nonces = new Set(envelopes.map((bytes) => bytes.subarray(32, 44).toString("hex")));
    assert.equal(nonces.size, envelopes.length, "no nonce repeats");
    const sessions = new Set(envelopes.map((bytes) => bytes.subarray(16, 32).toString("hex")));
    assert.equal(sessions.size, 1, "one writer, one session");
    assert.ok(!sessions.has("0".repeat(32)));
  });

  it("closing an encrypted repository overwrites the keys it held: it cannot read afterwards", async () => {
    const { repository } = await fresh({ encrypt: true, threads: 1 });
    const { pointId } = await backUpImage(repository, makeImage(2 * CHUNK, 4));
    await repository.close();
    await assert.rejects(repository.readPoint(pointId), /keys were wiped/);
  });

  it("names are keyed in an encrypted repository: the same data gets different names in two repositories", async () => {
    const a = await fresh({ encrypt: true });
    const b = await fresh({ encrypt: true });
    const image = makeImage(CHUNK, 8);
    const pa = await backUpImage(a.repository, image);
    const pb = await backUpImage(b.repository, image);
    const ia = await a.repository.readIndex(pa.pointId, 0);
    const ib = await b.repository.readIndex(pb.pointId, 0);
    assert.notEqual(ia.get(0), ib.get(0));
    assert.notEqual(ia.get(0), sha256(image));
    await a.repository.close();
    await b.repository.close();
  });

  it("refuses a repository of a newer format version, naming config.json", async () => {
    const { store, repository } = await fresh();
    await repository.close();
    const config = JSON.parse((await store.read("config.json")).toString()) as Record<string, unknown>;
    await store.write("config.json", Buffer.from(JSON.stringify({ ...config, formatVersion: REPOSITORY_FORMAT_VERSION + 1 })));
    await assert.rejects(Repository.open(store), (error: unknown) => {
      assert.ok(error instanceof UnsupportedFormatError);
      assert.match(error.message, new RegExp(`config\\.json: repository format version ${REPOSITORY_FORMAT_VERSION + 1} is newer than this esxbackup supports \\(${REPOSITORY_FORMAT_VERSION}\\)`));
      return true;
    });
  });

  it("reads the writers' compression level from config.json: absent means the level used before it was recorded, nonsense is refused", async () => {
    const { store, repository } = await fresh();
    await repository.close();
    const config = JSON.parse((await store.read("config.json")).toString()) as Record<string, unknown>;
    assert.equal(config["compressionLevel"], DEFAULT_COMPRESSION_LEVEL);
    const { compressionLevel: _, ...older } = config;
    await store.write("config.json", Buffer.from(JSON.stringify(older)));
    const reopened = await Repository.open(store, { threads: 0 });
    assert.equal(compressionLevelOf(reopened.config), UNRECORDED_COMPRESSION_LEVEL);
    await reopened.close();
    for (const level of [0, 22, 2.5, "3"]) {
      await store.write("config.json", Buffer.from(JSON.stringify({ ...config, compressionLevel: level })));
      await assert.rejects(Repository.open(store), new RegExp(`config\\.json: has compressionLevel ${JSON.stringify(level)}, not a whole number from 1 to 19`));
    }
    await assert.rejects(Repository.init(new MemoryBlobStore(), { chunkSizeBytes: CHUNK, compressionLevel: 20 }), /compression level: must be a whole number from 1 to 19/);
  });

  async function editConfig(store: MemoryBlobStore, edit: (config: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    const config = JSON.parse((await store.read("config.json")).toString()) as Record<string, unknown>;
    await store.write("config.json", Buffer.from(JSON.stringify(edit(config))));
  }

  for (const formatVersion of [2, 3]) {
    it(`version ${formatVersion}: config.json edited to say "encryption: none" is refused at open while key files exist, and nothing is written`, async () => {
      const store = new MemoryBlobStore();
      const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0, encrypt: true, passphrase: "pw", scrypt: FAST_SCRYPT, formatVersion });
      await backUpImage(repository, makeImage(3 * CHUNK, 4));
      await repository.close();
      await editConfig(store, (config) => ({ ...config, encryption: "none", chunkDigest: "sha256" }));
      const before = await store.list("points");
      await assert.rejects(Repository.open(store), (error: unknown) => {
        assert.ok(error instanceof RepositoryFileError);
        assert.match(error.message, /^memory:config\.json: says the repository is not encrypted, but memory:keys holds 1 key file\(s\): config\.json was altered \(downgrade to plaintext refused\)/);
        return true;
      });
      assert.deepEqual(await store.list("points"), before);
    });
  }

  it("version 3: any other edit of an encrypted config.json is refused at open, naming config.json", async () => {
    const { store, repository } = await fresh({ encrypt: true });
    await repository.close();
    const original = (await store.read("config.json")).toString();
    const edits: [string, (config: Record<string, unknown>) => Record<string, unknown>][] = [
      ["compression level", (config) => ({ ...config, compressionLevel: 1 })],
      ["chunk size", (config) => ({ ...config, chunkSizeBytes: 2 * CHUNK })],
      ["repository id", (config) => ({ ...config, repositoryId: "0".repeat(32) })],
      ["configMac removed", ({ configMac: _, ...config }) => config],
    ];
    for (const [name, edit] of edits) {
      await store.write("config.json", Buffer.from(original));
      await editConfig(store, edit);
      await assert.rejects(Repository.open(store, { passphrase: "correct horse" }), (error: unknown) => {
        assert.ok(error instanceof RepositoryFileError, name);
        assert.match(error.message, /^memory:config\.json: (is not authenticated by the repository's key|has no configMac|key file .* belongs to repository [0-9a-f]{32} but config\.json says 0{32}).*altered/, name);
        return true;
      });
    }
    await store.write("config.json", Buffer.from(original));
    await (await Repository.open(store, { passphrase: "correct horse", threads: 0 })).close();
  });

  it("version 3: config.json edited to say version 2 (which authenticates less) is refused: the key file says 3", async () => {
    const { store, repository } = await fresh({ encrypt: true });
    await repository.close();
    await editConfig(store, ({ configMac: _, ...config }) => ({ ...config, formatVersion: 2 }));
    await store.remove("log"); // the points log would give it away first (next test); the key file still does
    await assert.rejects(Repository.open(store, { passphrase: "correct horse" }), /^RepositoryFileError: memory:config\.json: key file memory:keys\/[0-9a-f]+\.json: it belongs to a format-version-3 repository but config\.json says version 2: config\.json was altered \(downgrade refused\)/);
  });

  it("version 3, unencrypted: config.json edited to say version 2 is refused: the points log says 3", async () => {
    const { store, repository } = await fresh();
    await repository.close();
    await editConfig(store, (config) => ({ ...config, formatVersion: 2 }));
    await assert.rejects(Repository.open(store), /^RepositoryFileError: memory:config\.json: says format version 2, but memory:log exists, which only version 3 creates: config\.json was altered \(downgrade refused\)/);
  });

  it("a planted key file with absurd scrypt parameters is refused before any work, naming it", { timeout: 20_000 }, async () => {
    const { store, repository } = await fresh({ encrypt: true });
    await repository.close();
    const [name] = await store.list("keys");
    const keyFile = JSON.parse((await store.read(`keys/${name}`)).toString()) as Record<string, unknown>;
    // Without the bounds, the first would ask for 2 TiB, the second would run for about 45 s (p = 128 times the default).
    for (const [parameters, problem] of [
      [{ N: 2 ** 30, r: 16, p: 1 }, /needs 2097152 MiB, more than the 1024 MiB allowed/],
      [{ N: 2 ** 17, r: 8, p: 128 }, /is more work than the 8388608 blocks allowed/],
      [{ N: 1000, r: 8, p: 1 }, /must be a power of two/],
    ] as const) {
      await store.write(`keys/${name}`, Buffer.from(JSON.stringify({ ...keyFile, ...parameters })));
      await assert.rejects(Repository.open(store, { passphrase: "correct horse" }), (error: unknown) => {
        assert.ok(error instanceof RepositoryFileError);
        assert.match(error.message, new RegExp(`^memory:keys/${name}: is not a valid key file \\(refused before deriving anything: .*${problem.source}`));
        return true;
      });
    }
  });

  it("new key files use the measured scrypt default, at least OWASP's minimum (N = 2^17, r = 8: 128 MiB), and open", async () => {
    const store = new MemoryBlobStore();
    const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0, encrypt: true, passphrase: "pw" });
    await repository.close();
    const [name] = await store.list("keys");
    const keyFile = JSON.parse((await store.read(`keys/${name}`)).toString()) as { N: number; r: number; p: number };
    assert.ok(keyFile.N >= 131072 && keyFile.r >= 8 && 128 * keyFile.N * keyFile.r >= 128 * 1024 * 1024, `N=${keyFile.N} r=${keyFile.r}`);
    assert.equal(keyFile.p, 1);
    await (await Repository.open(store, { passphrase: "pw", threads: 0 })).close();
  });

  it("refuses to init over an existing repository and to open an empty folder", async () => {
    const { store, repository } = await fresh();
    await repository.close();
    await assert.rejects(Repository.init(store, { chunkSizeBytes: CHUNK }), /already exists/);
    await assert.rejects(Repository.open(new MemoryBlobStore()), /not an esxbackup repository/);
    await assert.rejects(Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 1000 }), /power of two/);
  });
});
