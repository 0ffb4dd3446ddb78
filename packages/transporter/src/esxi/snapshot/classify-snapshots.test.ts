import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { SnapshotTree, SnapshotTreeNode } from "../parsers/parse-snapshot-tree.js";
import { flattenSnapshotTree, snapshotTreeDepth } from "./classify-snapshots.js";

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
