import { strict as assert } from "node:assert";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { Repository } from "./repository.js";
import { executePrune, planPrune } from "./prune-points.js";
import { chunkKey, fingerprintsKey, indexKey, manifestKey, pointIndexesFolder, pointsLogKey } from "./repository-layout.js";
import { backUpImage, makeImage, readWholeDisk, storeWith } from "./test-disk.js";
import { backUpWithFingerprints } from "./test-fingerprints.js";
import { readDiskFingerprints } from "./read-disk-fingerprints.js";
import { verifyRepository } from "./verify-repository.js";

const CHUNK = 8 * 1024;

for (const encrypt of [false, true]) {
  describe(`verify (${encrypt ? "encrypted" : "plain"})`, () => {
    async function setUp(): Promise<{ store: MemoryBlobStore; repository: Repository; a: PointId; b: PointId }> {
      const store = new MemoryBlobStore();
      const repository = await Repository.init(store, {
        chunkSizeBytes: CHUNK,
        threads: 1,
        ...(encrypt ? { encrypt: true, passphrase: "pw", scrypt: { N: 1024, r: 8, p: 1 } } : {}),
      });
      const image = makeImage(12 * CHUNK + 77, 42);
      const a = (await backUpImage(repository, image)).pointId;
      const b = (await backUpImage(repository, image, { previousPointId: a, changed: [] })).pointId;
      return { store, repository, a, b };
    }

    it("passes a sound repository, full and quick", async () => {
      const { repository } = await setUp();
      const full = await verifyRepository(repository);
      assert.deepEqual(full.problems, []);
      assert.equal(full.pointsChecked, 2);
      assert.ok(full.chunksChecked > 5);
      assert.deepEqual((await verifyRepository(repository, { quick: true })).problems, []);
      await repository.close();
    });

    it("reports a flipped byte in a chunk at every point, disk and offset using it", async () => {
      const { store, repository, a, b } = await setUp();
      const index = await repository.readIndex(a, 0);
      const digest = index.get(10);
      store.corrupt(chunkKey(digest), (data) => {
        const copy = Buffer.from(data);
        copy[copy.length - 20] = (copy[copy.length - 20] ?? 0) ^ 0x01;
        return copy;
      });
      const report = await verifyRepository(repository);
      const offsets = report.problems.map((p) => [p.pointId, p.diskIndex, p.offsetBytes]).sort();
      assert.deepEqual(offsets, [[a, 0, 10 * CHUNK], [b, 0, 10 * CHUNK]].sort());
      assert.equal(report.problems[0]?.file, `memory:${chunkKey(digest)}`);
      assert.match(report.problems[0]?.problem ?? "", encrypt ? /authentication failed/ : /does not match its digest|zstd/);
      assert.deepEqual((await verifyRepository(repository, { quick: true })).problems, [], "quick only checks existence");
      await repository.close();
    });

    it("reports a deleted chunk as missing, also in quick mode, and only for the points selected", async () => {
      const { store, repository, a } = await setUp();
      const digest = (await repository.readIndex(a, 0)).get(10);
      await store.remove(chunkKey(digest));
      for (const quick of [false, true]) {
        const report = await verifyRepository(repository, { quick, pointIds: [a] });
        assert.equal(report.pointsChecked, 1);
        assert.deepEqual(report.problems.map((p) => [p.pointId, p.offsetBytes, p.problem]), [[a, 10 * CHUNK, "missing"]]);
      }
      await repository.close();
    });

    it("reports a truncated index and a damaged manifest by file", async () => {
      const { store, repository, a, b } = await setUp();
      store.corrupt(indexKey(a, 0), (data) => data.subarray(0, data.length - 7));
      store.corrupt(manifestKey(b), (data) => Buffer.concat([data.subarray(0, 30), Buffer.from("garbage"), data.subarray(37)]));
      const report = await verifyRepository(repository);
      assert.deepEqual(report.problems.map((p) => [p.pointId, p.file]).sort(), [[a, `memory:${indexKey(a, 0)}`], [b, `memory:${manifestKey(b)}`]].sort());
      assert.match(report.problems.find((p) => p.pointId === a)?.problem ?? "", encrypt ? /authentication failed/ : /checksum mismatch/);
      await assert.rejects(verifyRepository(repository, { pointIds: ["nope" as PointId] }), /no such recovery point: nope/);
      await repository.close();
    });

    it("reports an index or fingerprints file copied from another point by point, disk and file; restore and the next backup refuse it", async () => {
      const { store, repository } = await setUp();
      const source = await backUpWithFingerprints(repository, makeImage(5 * CHUNK + 300, 7));
      const target = await backUpWithFingerprints(repository, makeImage(5 * CHUNK + 300, 8));
      // Same disk size, so nothing but the binding tells the files apart: restoring would return the other image.
      for (const file of [indexKey, fingerprintsKey]) await store.write(file(target, 0), await store.read(file(source, 0)));
      for (const quick of [false, true]) {
        const report = await verifyRepository(repository, { quick });
        assert.deepEqual(
          report.problems.map((p) => [p.pointId, p.diskIndex, p.file, p.problem.replace(/ \(.*/, "")]).sort(),
          [
            [target, 0, `memory:${indexKey(target, 0)}`, encrypt ? "authentication failed" : "checksum mismatch"],
            [target, 0, `memory:${fingerprintsKey(target, 0)}`, encrypt ? "authentication failed" : "checksum mismatch"],
          ].sort(),
        );
      }
      await assert.rejects(readWholeDisk(repository, target), new RegExp(`${indexKey(target, 0)}: .*copied from another file`));
      await assert.rejects(readDiskFingerprints(repository, target, 0), new RegExp(`${fingerprintsKey(target, 0)}: .*copied from another file`));
      await assert.rejects(backUpImage(repository, makeImage(5 * CHUNK + 300, 8), { previousPointId: target }), new RegExp(`${indexKey(target, 0)}: .*copied from another file`));
      assert.deepEqual((await verifyRepository(repository, { pointIds: [source] })).problems, []);
      await repository.close();
    });

    const logProblems = (report: { problems: { pointId?: PointId; file: string; problem: string }[] }): [PointId | undefined, string, string][] =>
      report.problems.map((p) => [p.pointId, p.file, p.problem.replace(/:.*/, "")]);

    it("reports a deleted manifest as a missing point, and a pruned point put back as resurrected; a prune itself is sound", async () => {
      const { store, repository, a, b } = await setUp();
      const c = (await backUpImage(repository, makeImage(3 * CHUNK, 5))).pointId;
      const saved = [manifestKey(c), indexKey(c, 0)];
      const copies = await Promise.all(saved.map((key) => store.read(key)));
      await executePrune(repository, await planPrune(repository, [c]));
      assert.deepEqual((await verifyRepository(repository)).problems, [], "a pruned point is not missing");
      for (const [position, key] of saved.entries()) await store.write(key, copies[position] as Buffer);
      await store.remove(manifestKey(a));
      const report = await verifyRepository(repository);
      assert.deepEqual(logProblems(report).sort(), [
        [a, `memory:${manifestKey(a)}`, "missing"],
        [c, `memory:${manifestKey(c)}`, "resurrected"],
      ]);
      assert.match(report.problems.find((p) => p.pointId === c)?.problem ?? "", /prunes it \(record 4\)/);
      assert.deepEqual(logProblems(await verifyRepository(repository, { pointIds: [b] })), [], "other points are not blamed");
      await repository.close();
    });

    it("reports a deleted points-log record: in the middle as missing, the last one leaves its point unrecorded", async () => {
      const { store, repository, a, b } = await setUp();
      await store.remove(pointsLogKey(2));
      assert.deepEqual(logProblems(await verifyRepository(repository)), [[b, `memory:${manifestKey(b)}`, "not in the points log"]]);
      await backUpImage(repository, makeImage(2 * CHUNK, 6));
      await store.remove(pointsLogKey(1));
      const report = await verifyRepository(repository);
      assert.deepEqual(logProblems(report).sort(), [
        [undefined, `memory:${pointsLogKey(1)}`, "missing"],
        [a, `memory:${manifestKey(a)}`, "not in the points log"],
        [b, `memory:${manifestKey(b)}`, "not in the points log"],
      ]);
      await repository.close();
    });

    it("reports a record replaced by another one, and the chain broken after it", async () => {
      const { store, repository } = await setUp();
      await backUpImage(repository, makeImage(2 * CHUNK, 6));
      await store.write(pointsLogKey(2), await store.read(pointsLogKey(3)));
      const problems = (await verifyRepository(repository)).problems.filter((p) => p.pointId === undefined).map((p) => [p.file, p.problem.replace(/ \(.*/, "")]);
      assert.deepEqual(problems, [
        [`memory:${pointsLogKey(2)}`, encrypt ? "authentication failed" : "checksum mismatch"],
        [`memory:${pointsLogKey(3)}`, "does not follow the record before it"],
      ]);
      await repository.close();
    });

    it("a rollback of the whole storage passes on its own, but is reported against a log head seen before; so is a fork", async () => {
      const { store, repository, b } = await setUp();
      const seen = (await verifyRepository(repository)).pointsLog;
      assert.equal(seen?.records, 2);
      // Back to the state before b: its manifest, indexes and record gone together.
      for (const key of [manifestKey(b), pointIndexesFolder(b), pointsLogKey(2)]) await store.remove(key);
      assert.deepEqual((await verifyRepository(repository)).problems, [], "undetectable from inside the repository");
      const known = seen as NonNullable<typeof seen>;
      assert.deepEqual(logProblems(await verifyRepository(repository, { knownPointsLog: known })), [[undefined, "memory:log", "rolled back"]]);
      await backUpImage(repository, makeImage(2 * CHUNK, 6));
      assert.deepEqual(logProblems(await verifyRepository(repository, { knownPointsLog: known })), [[undefined, "memory:log", "forked"]]);
      await repository.close();
    });

    it("a point published while verify lists the manifests is not reported missing", async () => {
      const { store, repository } = await setUp();
      const listedBefore = await store.list("points");
      await backUpImage(repository, makeImage(2 * CHUNK, 6));
      const racing = await Repository.open(storeWith(store, { list: (folder) => (folder === "points" ? Promise.resolve(listedBefore) : store.list(folder)) }), {
        threads: 0,
        ...(encrypt ? { passphrase: "pw" } : {}),
      });
      assert.deepEqual((await verifyRepository(racing)).problems, []);
      await racing.close();
      await repository.close();
    });

    it("a writer that died between its manifest and its record is not blamed while its lock names the point, and the next backup records it", async () => {
      const { store, repository } = await setUp();
      const unlogged = await Repository.open(
        storeWith(store, {
          write: (key, data) => (key.startsWith("log/") ? Promise.reject(new Error("simulated death before the record")) : store.write(key, data)),
          createExclusive: (key, data) => (key.startsWith("log/") ? Promise.reject(new Error("simulated death before the record")) : store.createExclusive(key, data)),
        }),
        { threads: 0, ...(encrypt ? { passphrase: "pw" } : {}) },
      );
      const orphan = (await backUpImage(unlogged, makeImage(2 * CHUNK, 6))).pointId;
      await unlogged.close();
      assert.deepEqual(logProblems(await verifyRepository(repository)), [[orphan, `memory:${manifestKey(orphan)}`, "not in the points log"]]);
      // What a killed writer leaves: its lock, naming the point, held by a process that no longer exists.
      const now = new Date().toISOString();
      const lock = { kind: "writer", id: "dead", host: hostname(), pid: 2 ** 22 + 12345, startedAt: now, refreshedAt: now, pointId: orphan };
      await store.write("locks/writer-dead.json", Buffer.from(JSON.stringify(lock)));
      assert.deepEqual((await verifyRepository(repository)).problems, []);
      await backUpImage(repository, makeImage(2 * CHUNK, 7));
      assert.deepEqual(await store.list("locks").then((names) => names.filter((name) => name.startsWith("writer-"))), [], "the dead lock is gone");
      const report = await verifyRepository(repository);
      assert.deepEqual(report.problems, []);
      assert.equal(report.pointsLog?.records, 4, "a, b, the orphan, the new point");
      await repository.close();
    });

    it("reports a damaged or missing fingerprints file by point, disk and file, also in quick mode", async () => {
      const { store, repository } = await setUp();
      const image = makeImage(5 * CHUNK + 300, 9);
      const damaged = await backUpWithFingerprints(repository, image);
      const missing = await backUpWithFingerprints(repository, image);
      const sound = await backUpWithFingerprints(repository, image);
      store.corrupt(fingerprintsKey(damaged, 0), (data) => data.subarray(0, data.length - 5));
      await store.remove(fingerprintsKey(missing, 0));
      for (const quick of [false, true]) {
        const report = await verifyRepository(repository, { quick });
        assert.deepEqual(
          report.problems.map((p) => [p.pointId, p.diskIndex, p.diskKey, p.file, p.problem.replace(/ \(.*/, "")]).sort(),
          [
            [damaged, 0, "scsi0:0", `memory:${fingerprintsKey(damaged, 0)}`, encrypt ? "authentication failed" : "checksum mismatch"],
            [missing, 0, "scsi0:0", `memory:${fingerprintsKey(missing, 0)}`, "missing"],
          ].sort(),
        );
      }
      assert.deepEqual((await verifyRepository(repository, { pointIds: [sound] })).problems, []);
      await repository.close();
    });
  });
}
