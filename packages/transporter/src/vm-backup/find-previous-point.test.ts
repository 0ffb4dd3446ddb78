import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { findPreviousPoint } from "./find-previous-point.js";
import type { PointSummary } from "./find-previous-point.js";

const at = (day: number): Date => new Date(Date.UTC(2026, 11, day));
const point = (id: string, day: number, host: string, vm: PointSummary["vm"]): PointSummary => ({ pointId: id as PointId, createdAt: at(day), host, vm });

describe("findPreviousPoint", () => {
  const web = { name: "web01", id: "3", uuid: "42 07 aa" };
  const cases: { name: string; points: PointSummary[]; wanted: PointSummary["vm"]; expect: ReturnType<typeof findPreviousPoint> }[] = [
    { name: "no points", points: [], wanted: web, expect: undefined },
    { name: "newest of the same uuid", points: [point("a", 1, "esx1", web), point("b", 3, "esx1", web), point("c", 2, "esx1", web)], wanted: web, expect: { pointId: "b" as PointId, matchedBy: "uuid" } },
    { name: "uuid survives a rename and a new vmid", points: [point("a", 1, "esx1", { name: "old", id: "9", uuid: web.uuid })], wanted: web, expect: { pointId: "a" as PointId, matchedBy: "uuid" } },
    { name: "another host never matches", points: [point("a", 1, "esx2", web)], wanted: web, expect: undefined },
    { name: "vmid and name when the point has no uuid", points: [point("a", 1, "esx1", { name: "web01", id: "3" })], wanted: web, expect: { pointId: "a" as PointId, matchedBy: "vmid-and-name" } },
    { name: "same vmid and name but another uuid: another VM", points: [point("a", 1, "esx1", { name: "web01", id: "3", uuid: "42 07 bb" })], wanted: web, expect: undefined },
    { name: "same vmid, other name: no match", points: [point("a", 1, "esx1", { name: "db01", id: "3" })], wanted: { name: "web01", id: "3" }, expect: undefined },
    { name: "uuid match preferred over a newer vmid match", points: [point("a", 1, "esx1", web), point("b", 5, "esx1", { name: "web01", id: "3" })], wanted: web, expect: { pointId: "a" as PointId, matchedBy: "uuid" } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(findPreviousPoint(c.points, { host: "esx1", vm: c.wanted }), c.expect));
  }
});
