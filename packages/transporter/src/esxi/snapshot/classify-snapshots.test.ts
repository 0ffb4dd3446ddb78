import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { SnapshotTree, SnapshotTreeNode } from "../parsers/parse-snapshot-tree.js";
import type { VmsdSnapshot } from "../parsers/parse-vmsd.js";
import { currentStateDepth, flattenSnapshotTree, snapshotTreeDepth } from "./classify-snapshots.js";

function node(name: string, id: number, ...children: SnapshotTreeNode[]): SnapshotTreeNode {
  return { name, id, description: "", createdAt: new Date(0), state: "poweredOff", children };
}
const tree = (...roots: SnapshotTreeNode[]): SnapshotTree => ({ operation: "get", roots });

test("snapshot trees: how deep they stack, against how many they hold", () => {
  const cases: { name: string; tree: SnapshotTree; count: number; depth: number }[] = [
    { name: "none", tree: tree(), count: 0, depth: 0 },
    { name: "one", tree: tree(node("a", 1)), count: 1, depth: 1 },
    { name: "a chain of four, as the .vmsd of esxi-facts 2.4", tree: tree(node("a", 1, node("b", 2, node("c", 3, node("d", 4))))), count: 4, depth: 4 },
    { name: "a revert and a new snapshot: two branches under one root", tree: tree(node("a", 1, node("b", 2), node("c", 3))), count: 3, depth: 2 },
    { name: "branches of unequal length", tree: tree(node("a", 1, node("b", 2, node("d", 4, node("e", 5))), node("c", 3))), count: 5, depth: 4 },
  ];
  for (const c of cases) {
    assert.equal(flattenSnapshotTree(c.tree).length, c.count, c.name);
    assert.equal(snapshotTreeDepth(c.tree), c.depth, c.name);
  }
});

function vmsdSnapshot(uid: number, parentUid?: number): VmsdSnapshot {
  return { index: uid, uid, parentUid, fileName: "", displayName: `s${uid}`, description: "", createTimeHigh: undefined, createTimeLow: undefined, createdAt: undefined, disks: [] };
}

test("snapshots between the base and the current state, from the .vmsd", () => {
  const branched = [vmsdSnapshot(1), vmsdSnapshot(2, 1), vmsdSnapshot(3, 1)];
  const cases: { name: string; currentUid: number | undefined; snapshots: VmsdSnapshot[]; treeSize: number; depth: number | undefined }[] = [
    { name: "a chain of four, on the newest", currentUid: 4, snapshots: [vmsdSnapshot(1), vmsdSnapshot(2, 1), vmsdSnapshot(3, 2), vmsdSnapshot(4, 3)], treeSize: 4, depth: 4 },
    { name: "A → {B, C}, on C", currentUid: 3, snapshots: branched, treeSize: 3, depth: 2 },
    // C removed and not consolidated: the VM inherits from A again, its chain keeps C's delta.
    { name: "A → {B}, back on A", currentUid: 1, snapshots: branched.slice(0, 2), treeSize: 2, depth: 1 },
    { name: "no current snapshot named", currentUid: undefined, snapshots: branched, treeSize: 3, depth: undefined },
    { name: "other snapshots than snapshot.get lists", currentUid: 3, snapshots: branched, treeSize: 2, depth: undefined },
    { name: "a current snapshot not in the file", currentUid: 9, snapshots: branched, treeSize: 3, depth: undefined },
    { name: "parents that come back round", currentUid: 1, snapshots: [vmsdSnapshot(1, 2), vmsdSnapshot(2, 1)], treeSize: 2, depth: undefined },
  ];
  for (const c of cases) assert.equal(currentStateDepth({ currentUid: c.currentUid, snapshots: c.snapshots }, c.treeSize), c.depth, c.name);
});
