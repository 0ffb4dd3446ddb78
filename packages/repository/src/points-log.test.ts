import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { PROBES_PER_ROUND } from "./find-points-log-end.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { appendPointsLog, readPointsLog } from "./points-log.js";
import { Repository } from "./repository.js";
import { manifestKey, pointIndexesFolder, pointsLogKey } from "./repository-layout.js";
import { backUpImage, makeImage, storeWith } from "./test-disk.js";
import { verifyRepository } from "./verify-repository.js";

const CHUNK = 8 * 1024;

/** Counts the store calls made while `counting` is on, by kind ("list log" for a listing of `log/`). */
function countingStore(store: BlobStore): { store: BlobStore; counted: (run: () => Promise<void>) => Promise<Record<string, number>> } {
  let calls: Record<string, number> | undefined;
  const count = (kind: string): void => {
    if (calls !== undefined) calls[kind] = (calls[kind] ?? 0) + 1;
  };
  return {
    store: storeWith(store, {
      read: (key) => {
        count("read");
        return store.read(key);
      },
      write: (key, data) => {
        count("write");
        return store.write(key, data);
      },
      createExclusive: (key, data) => {
        count("createExclusive");
        return store.createExclusive(key, data);
      },
      stat: (key) => {
        count("stat");
        return store.stat(key);
      },
      list: (folder) => {
        count(`list ${folder}`);
        return store.list(folder);
      },
    }),
    counted: async (run) => {
      calls = {};
      try {
        await run();
        return calls;
      } finally {
        calls = undefined;
      }
    },
  };
}

const pointId = (n: number): PointId => `20260101T000000000Z-${n.toString(16).padStart(8, "0")}` as PointId;

describe("points log append", () => {
  it("never lists log/, and costs the same at 1,000 records as at 10 (from the record it appended last); O(log n) stats in a new process", async () => {
    const memory = new MemoryBlobStore();
    const { store, counted } = countingStore(memory);
    const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
    const costs = new Map<number, Record<string, number>>();
    for (let sequence = 1; sequence <= 1_000; sequence += 1) {
      const calls = await counted(() => appendPointsLog(repository, sequence % 3 === 0 ? "pruned" : "published", pointId(sequence)));
      if (sequence === 10 || sequence === 1_000) costs.set(sequence, calls);
    }
    assert.deepEqual(costs.get(10), { "list locks": 1, stat: 3, read: 1, createExclusive: 1 });
    assert.deepEqual(costs.get(1_000), costs.get(10));

    const fresh = await Repository.open(store, { threads: 0 });
    const first = await counted(() => appendPointsLog(fresh, "published", pointId(1_001)));
    assert.equal(first["list log"], undefined, "no listing");
    assert.ok((first.stat ?? 0) <= 5 * PROBES_PER_ROUND, `${first.stat} stats: at most 5 rounds at 1,000 records`);
    assert.deepEqual(await counted(() => appendPointsLog(fresh, "published", pointId(1_002))), costs.get(10));

    const log = await readPointsLog(repository);
    assert.deepEqual(log.problems, [], "every record chains to the file before it");
    assert.equal(log.records, 1_002);
    assert.equal((await memory.list("log")).filter((name) => name.endsWith(".rec")).length, 1_002);
    await fresh.close();
    await repository.close();
  });

  it("two processes appending in turn each find the records the other appended after their hint", async () => {
    const store = new MemoryBlobStore();
    const first = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
    const second = await Repository.open(store, { threads: 0 });
    // Runs of appends by one process, then the other's: each one's hint is behind by the other's run.
    let sequence = 0;
    for (const [turn, run] of [1, 2, 3, 4, 1, 4, 2, 3, 1, 1].entries()) {
      for (let n = 0; n < run; n += 1) {
        sequence += 1;
        await appendPointsLog(turn % 2 === 0 ? first : second, "published", pointId(sequence));
      }
    }
    const log = await readPointsLog(first);
    assert.deepEqual(log.problems, []);
    assert.deepEqual(
      [...log.points].map(([id, { sequence }]) => [id, sequence]),
      Array.from({ length: 22 }, (_, index) => [pointId(index + 1), index + 1]),
    );
    await Promise.all([first.close(), second.close()]);
  });

  for (const encrypt of [false, true]) {
    describe(encrypt ? "encrypted" : "plain", () => {
      const opening = { threads: 0, ...(encrypt ? { passphrase: "pw" } : {}) };
      async function setUp(points: number): Promise<{ store: MemoryBlobStore; repository: Repository; ids: PointId[] }> {
        const store = new MemoryBlobStore();
        const repository = await Repository.init(store, {
          chunkSizeBytes: CHUNK,
          threads: 0,
          ...(encrypt ? { encrypt: true, passphrase: "pw", scrypt: { N: 1024, r: 8, p: 1 } } : {}),
        });
        const ids: PointId[] = [];
        for (let n = 0; n < points; n += 1) ids.push((await backUpImage(repository, makeImage(2 * CHUNK, n))).pointId);
        return { store, repository, ids };
      }
      const logProblems = (report: { problems: { pointId?: PointId; file: string; problem: string }[] }): [PointId | undefined, string, string][] =>
        report.problems.map((p) => [p.pointId, p.file, p.problem.replace(/:.*/, "")] as [PointId | undefined, string, string]).sort();
      const recordsPresent = async (store: BlobStore): Promise<string[]> => (await store.list("log")).filter((name) => name.endsWith(".rec"));
      const names = (...sequences: number[]): string[] => sequences.map((sequence) => pointsLogKey(sequence).slice("log/".length));

      it("one record removed in the middle: the next append goes after the last record, as a listing appender's does, and verify still reports the gap", async () => {
        const { store, repository, ids } = await setUp(4);
        await repository.close();
        await store.remove(pointsLogKey(2));
        // A new process knows no record: its search asks about 1, 2, 4, 8, … at once and sees 2 absent below 4.
        const next = await Repository.open(store, opening);
        const added = (await backUpImage(next, makeImage(2 * CHUNK, 9))).pointId;
        assert.deepEqual(await recordsPresent(store), names(1, 3, 4, 5));
        assert.equal((await readPointsLog(next)).points.get(added)?.sequence, 5);
        assert.deepEqual(logProblems(await verifyRepository(next)), [
          [undefined, `memory:${pointsLogKey(2)}`, "missing"],
          [ids[1], `memory:${manifestKey(ids[1] as PointId)}`, "not in the points log"],
        ]);
        await next.close();
      });

      it("records removed where the search lands, unseen: the appends write into the gap but never close it, and verify still reports it", async () => {
        const { store, repository, ids } = await setUp(6);
        await repository.close();
        for (const sequence of [2, 3, 4]) await store.remove(pointsLogKey(sequence));
        // The search sees 2, 3 and 4 absent and never asks about 5: it takes 1 for the end, then (from 2) 2;
        // the third append, from 3, sees 4 absent below 5 and lists.
        const next = await Repository.open(store, opening);
        const added: PointId[] = [];
        for (let n = 0; n < 3; n += 1) added.push((await backUpImage(next, makeImage(2 * CHUNK, 9 + n))).pointId);
        assert.deepEqual(await recordsPresent(store), names(1, 2, 3, 5, 6, 7));
        const log = await readPointsLog(next);
        assert.deepEqual(added.map((id) => log.points.get(id)?.sequence), [2, 3, 7]);
        assert.deepEqual(
          logProblems(await verifyRepository(next)),
          [
            [undefined, `memory:${pointsLogKey(4)}`, "missing"],
            ...ids.slice(1, 4).map((id): [PointId, string, string] => [id, `memory:${manifestKey(id)}`, "not in the points log"]),
          ].sort(),
        );
        await next.close();
      });

      for (const appenderKind of ["the process that appended them", "a new process"]) {
        it(`the newest record removed (a rollback), appended to by ${appenderKind}: the append continues after the last record left, and verify reports a fork against the head seen before`, async () => {
          const { store, repository, ids } = await setUp(3);
          const seen = (await verifyRepository(repository)).pointsLog;
          assert.equal(seen?.records, 3);
          const newest = ids[2] as PointId;
          for (const key of [manifestKey(newest), pointIndexesFolder(newest), pointsLogKey(3)]) await store.remove(key);
          assert.deepEqual((await verifyRepository(repository)).problems, [], "undetectable from inside the repository");
          const appender = appenderKind === "a new process" ? await Repository.open(store, opening) : repository;
          const added = (await backUpImage(appender, makeImage(2 * CHUNK, 9))).pointId;
          assert.deepEqual(await recordsPresent(store), names(1, 2, 3));
          const report = await verifyRepository(appender, { knownPointsLog: seen as NonNullable<typeof seen> });
          assert.deepEqual(logProblems(report), [[undefined, "memory:log", "forked"]]);
          assert.equal((await readPointsLog(appender)).points.get(added)?.sequence, 3);
          if (appender !== repository) await appender.close();
          await repository.close();
        });
      }

      it("a record written meanwhile under the name it was about to create: the append goes after it, overwriting nothing", async () => {
        const { store, repository } = await setUp(2);
        const other = await Repository.open(store, opening);
        let raced = false;
        const racing = await Repository.open(
          storeWith(store, {
            createExclusive: async (key, data) => {
              if (key.startsWith("log/") && !raced) {
                raced = true;
                await appendPointsLog(other, "published", pointId(77));
              }
              return store.createExclusive(key, data);
            },
          }),
          opening,
        );
        const added = (await backUpImage(racing, makeImage(2 * CHUNK, 9))).pointId;
        assert.ok(raced);
        const log = await readPointsLog(racing);
        assert.deepEqual(log.problems, []);
        assert.deepEqual([log.records, log.points.get(pointId(77))?.sequence, log.points.get(added)?.sequence], [4, 3, 4]);
        await Promise.all([racing.close(), other.close(), repository.close()]);
      });
    });
  }
});
