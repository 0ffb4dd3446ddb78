import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { findPreviousPoint } from "./find-previous-point.js";
import type { PointSummary } from "./find-previous-point.js";

const point = (id: string, host: string, vm: PointSummary["vm"]): PointSummary => ({ pointId: id as PointId, host, vm });

/** Hands out `points` one at a time and counts how many the search took. */
function counted(points: readonly PointSummary[]): { sequence: Iterable<PointSummary>; taken: () => number } {
  let taken = 0;
  return {
    sequence: {
      *[Symbol.iterator]() {
        for (const p of points) {
          taken += 1;
          yield p;
        }
      },
    },
    taken: () => taken,
  };
}

describe("findPreviousPoint (points offered newest first)", () => {
  const web = { name: "web01", id: "3", uuid: "42 07 aa" };
  const bare = { name: "web01", id: "3" };
  const other = { name: "db01", id: "4", uuid: "42 07 cc" };
  const cases: { name: string; points: PointSummary[]; wanted: PointSummary["vm"]; expect: Awaited<ReturnType<typeof findPreviousPoint>>; taken: number }[] = [
    { name: "no points", points: [], wanted: web, expect: undefined, taken: 0 },
    { name: "the first of the same uuid, the rest not taken", points: [point("c", "esx1", other), point("b", "esx1", web), point("a", "esx1", web)], wanted: web, expect: { pointId: "b" as PointId, matchedBy: "uuid" }, taken: 2 },
    { name: "uuid survives a rename and a new vmid", points: [point("a", "esx1", { name: "old", id: "9", uuid: web.uuid })], wanted: web, expect: { pointId: "a" as PointId, matchedBy: "uuid" }, taken: 1 },
    { name: "another host never matches: every point taken", points: [point("b", "esx2", web), point("a", "esx2", web)], wanted: web, expect: undefined, taken: 2 },
    { name: "vmid and name when the point has no uuid", points: [point("a", "esx1", bare)], wanted: web, expect: { pointId: "a" as PointId, matchedBy: "vmid-and-name" }, taken: 1 },
    { name: "same vmid and name but another uuid: another VM", points: [point("a", "esx1", { name: "web01", id: "3", uuid: "42 07 bb" })], wanted: web, expect: undefined, taken: 1 },
    { name: "same vmid, other name: no match", points: [point("a", "esx1", { name: "db01", id: "3" })], wanted: bare, expect: undefined, taken: 1 },
    { name: "an older uuid match is preferred to a newer vmid match: the search goes on past it", points: [point("c", "esx1", bare), point("b", "esx1", other), point("a", "esx1", web)], wanted: web, expect: { pointId: "a" as PointId, matchedBy: "uuid" }, taken: 3 },
    { name: "the newest vmid match when no uuid match exists, after taking all", points: [point("c", "esx1", bare), point("b", "esx1", bare), point("a", "esx1", other)], wanted: web, expect: { pointId: "c" as PointId, matchedBy: "vmid-and-name" }, taken: 3 },
    { name: "a VM without uuid: its first vmid-and-name match is final", points: [point("c", "esx1", other), point("b", "esx1", bare), point("a", "esx1", bare)], wanted: bare, expect: { pointId: "b" as PointId, matchedBy: "vmid-and-name" }, taken: 2 },
    { name: "a VM read without a uuid matches a point with one by vmid and name", points: [point("b", "esx1", web), point("a", "esx1", bare)], wanted: bare, expect: { pointId: "b" as PointId, matchedBy: "vmid-and-name" }, taken: 1 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const points = counted(c.points);
      assert.deepEqual(await findPreviousPoint(points.sequence, { host: "esx1", vm: c.wanted }), c.expect);
      assert.equal(points.taken(), c.taken, "points taken from the sequence");
    });
  }
});
