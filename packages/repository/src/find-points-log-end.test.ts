import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { PROBES_PER_ROUND, findPointsLogEnd } from "./find-points-log-end.js";

/** Records 1..`records`, minus `removed`. */
function logOf(records: number, removed: readonly number[] = []): Set<number> {
  const present = new Set(Array.from({ length: records }, (_, index) => index + 1));
  for (const sequence of removed) present.delete(sequence);
  return present;
}

/** The search over a log held in a set: its answer, the sequences it asked about, and in how many rounds. */
async function search(present: ReadonlySet<number>, hint?: number): Promise<{ end: number | undefined; probes: number[]; rounds: number }> {
  const probes: number[] = [];
  let rounds = 0;
  let roundEnding: Promise<void> | undefined;
  const end = await findPointsLogEnd(async (sequence) => {
    probes.push(sequence);
    // Questions asked in the same turn of the event loop are one round (one round trip on a network store).
    roundEnding ??= Promise.resolve().then(() => {
      rounds += 1;
      roundEnding = undefined;
    });
    return present.has(sequence);
  }, hint);
  return { end, probes, rounds };
}

describe("findPointsLogEnd", () => {
  const cases: { name: string; log: Set<number>; hint?: number; end: number | undefined }[] = [
    { name: "an empty log", log: logOf(0), end: 0 },
    { name: "one record", log: logOf(1), end: 1 },
    { name: "two records", log: logOf(2), end: 2 },
    { name: "a power of two", log: logOf(64), end: 64 },
    { name: "one past a power of two", log: logOf(65), end: 65 },
    { name: "a long log, no hint", log: logOf(146_000), end: 146_000 },
    { name: "the hint is the end", log: logOf(146_000), hint: 146_000, end: 146_000 },
    { name: "records appended since the hint", log: logOf(1_000), hint: 990, end: 1_000 },
    { name: "a hint far behind", log: logOf(146_000), hint: 3, end: 146_000 },
    { name: "a gap the search does not see: the listing's end too", log: logOf(100, [50]), end: 100 },
    { name: "a gap the search does not see, near the start", log: logOf(10, [3]), end: 10 },
    { name: "the hint is gone: records were removed (a rollback)", log: logOf(10), hint: 12, end: undefined },
    { name: "the hint's record alone is gone", log: logOf(20, [12]), hint: 12, end: undefined },
    { name: "a record seen absent below one seen present", log: logOf(10, [2]), end: undefined },
    { name: "one record removed where the search ends, after the hint", log: logOf(10, [7]), hint: 6, end: undefined },
    { name: "the record after the hint's next removed", log: logOf(10, [8]), hint: 7, end: undefined },
    { name: "the first record removed", log: logOf(5, [1]), end: undefined },
    { name: "a gap seen while narrowing", log: logOf(1_000, [682]), end: undefined },
    // Not seen: 2 and 3 are absent, 4 and 5 not asked about; taken for the end. The append then writes
    // record 2, and the next one record 3, never record 4: the gap stays, and verify reports it (ADR 0034).
    { name: "three records removed where the search ends", log: logOf(6, [2, 3, 4]), end: 1 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${String(c.end)}`, async () => {
      assert.equal((await search(c.log, c.hint)).end, c.end);
    });
  }

  it("confirms the end by asking about it and the two records after it", async () => {
    for (const [log, hint] of [
      [logOf(146_000), undefined],
      [logOf(146_000), 146_000],
      [logOf(1_000), 990],
      [logOf(1), undefined],
    ] as const) {
      const { end, probes } = await search(log, hint);
      assert.ok(end !== undefined && end > 0);
      for (const sequence of [end, end + 1, end + 2]) assert.ok(probes.includes(sequence), `record ${sequence} asked about`);
    }
  });

  it("asks three questions in one round when the hint is the end, and a few rounds that grow as log n without a hint", async () => {
    assert.deepEqual(await search(logOf(146_000), 146_000), { end: 146_000, probes: [146_000, 146_001, 146_002], rounds: 1 });
    for (const [records, rounds] of [
      [2_000, 6],
      [146_000, 9],
      [10_000_000, 12],
    ] as const) {
      const found = await search(logOf(records));
      assert.equal(found.end, records);
      assert.equal(found.rounds, rounds, `${records} records`);
      assert.ok(found.probes.length <= rounds * PROBES_PER_ROUND + 1, `${records} records: ${found.probes.length} questions`);
    }
  });

  it("never answers an end whose next two records are not both absent", async () => {
    // Every removal of one, two or three neighbouring records from a log of 40, with every hint.
    for (let first = 1; first <= 40; first += 1) {
      for (const removed of [[first], [first, first + 1], [first, first + 1, first + 2]]) {
        const log = logOf(40, removed);
        for (const hint of [undefined, ...log]) {
          const { end } = await search(log, hint);
          if (end === undefined) continue;
          const label = `removed ${removed.join(",")}, hint ${String(hint)}: ${end}`;
          assert.ok(end === 0 || log.has(end), `${label} present`);
          assert.ok(!log.has(end + 1) && !log.has(end + 2), `${label} followed by nothing`);
        }
      }
    }
  });
});
