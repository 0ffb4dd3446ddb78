import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { findPointsLogEnd } from "./find-points-log-end.js";

/** Records 1..`records`, minus `removed`. */
function logOf(records: number, removed: readonly number[] = []): Set<number> {
  const present = new Set(Array.from({ length: records }, (_, index) => index + 1));
  for (const sequence of removed) present.delete(sequence);
  return present;
}

async function search(present: ReadonlySet<number>, hint?: number): Promise<{ end: number | undefined; probes: number[] }> {
  const probes: number[] = [];
  const end = await findPointsLogEnd(async (sequence) => {
    probes.push(sequence);
    return present.has(sequence);
  }, hint);
  return { end, probes };
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
    { name: "a gap the probes do not see: the listing's end too", log: logOf(100, [50]), end: 100 },
    { name: "a gap the probes do not see, from the start", log: logOf(10, [2]), end: 10 },
    { name: "the hint is gone: records were removed (a rollback)", log: logOf(10), hint: 12, end: undefined },
    { name: "the hint's record alone is gone", log: logOf(20, [12]), hint: 12, end: undefined },
    { name: "one record removed where the search ends, from the start", log: logOf(10, [3]), end: undefined },
    { name: "one record removed where the search ends, after the hint", log: logOf(10, [7]), hint: 6, end: undefined },
    { name: "the first record removed", log: logOf(5, [1]), end: undefined },
    // Not seen: taken for the end. The append then writes record 2, never record 3, so the gap stays and
    // verify reports record 3 missing (ADR 0034).
    { name: "two records removed where the search ends", log: logOf(10, [2, 3]), end: 1 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${String(c.end)}`, async () => {
      assert.equal((await search(c.log, c.hint)).end, c.end);
    });
  }

  it("confirms the end by probing it and the two records after it", async () => {
    for (const [log, hint] of [
      [logOf(146_000), undefined],
      [logOf(146_000), 146_000],
      [logOf(1_000), 990],
    ] as const) {
      const { end, probes } = await search(log, hint);
      assert.ok(end !== undefined && end > 0);
      for (const sequence of [end, end + 1, end + 2]) assert.ok(probes.includes(sequence), `record ${sequence} probed`);
    }
  });

  it("probes three records when the hint is the end, and O(log n) without one", async () => {
    assert.deepEqual((await search(logOf(146_000), 146_000)).probes, [146_000, 146_001, 146_002]);
    const counts = await Promise.all([2_000, 146_000, 10_000_000].map(async (records) => (await search(logOf(records))).probes.length));
    for (const [position, records] of [2_000, 146_000, 10_000_000].entries()) {
      assert.ok((counts[position] ?? Infinity) <= 2 * Math.ceil(Math.log2(records)) + 3, `${records} records: ${counts[position]} probes`);
    }
  });

  it("never answers an end whose next record exists", async () => {
    // Every single and double removal from a log of 40, with every hint: an answer n always has n + 1 absent
    // and n + 2 absent, and n present (or 0).
    for (let first = 1; first <= 40; first += 1) {
      for (const removed of [[first], [first, first + 1]]) {
        const log = logOf(40, removed);
        for (const hint of [undefined, ...log]) {
          const { end } = await search(log, hint);
          if (end === undefined) continue;
          assert.ok(end === 0 || log.has(end), `removed ${removed.join(",")}, hint ${String(hint)}: ${end} present`);
          assert.ok(!log.has(end + 1) && !log.has(end + 2), `removed ${removed.join(",")}, hint ${String(hint)}: ${end} is followed by nothing`);
        }
      }
    }
  });
});
