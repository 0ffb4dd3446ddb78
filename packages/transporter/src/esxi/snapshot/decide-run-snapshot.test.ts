import { strict as assert } from "node:assert";
import { test } from "node:test";
import { HostOutputError } from "../parsers/host-output-error.js";
import type { SnapshotTree, SnapshotTreeNode } from "../parsers/parse-snapshot-tree.js";
import { decideRunSnapshot } from "./decide-run-snapshot.js";

/** A linear chain, oldest first, as a host nests it. */
function chain(...snapshots: [name: string, id: number | undefined][]): SnapshotTree {
  let child: SnapshotTreeNode | undefined;
  for (const [name, id] of [...snapshots].reverse()) {
    child = { name, id, description: "", createdAt: new Date(0), state: "poweredOn", children: child === undefined ? [] : [child] };
  }
  return { operation: "get", roots: child === undefined ? [] : [child] };
}

const base = { runId: "run-0002", powerState: "poweredOn", quiesce: false, allowUserSnapshots: false } as const;

test("decisions over a VM's snapshot tree", () => {
  const cases: { name: string; input: Partial<Parameters<typeof decideRunSnapshot>[0]> & { tree: SnapshotTree }; removeFirst: number[]; refusedFor: number[] | undefined; user: number[]; quiesce: boolean }[] = [
    { name: "no snapshots", input: { tree: chain() }, removeFirst: [], refusedFor: undefined, user: [], quiesce: false },
    { name: "an orphan of a crashed run is removed first", input: { tree: chain(["esxbackup-run-run-0001", 4]) }, removeFirst: [4], refusedFor: undefined, user: [], quiesce: false },
    { name: "several orphans, newest first", input: { tree: chain(["esxbackup-run-run-0001", 4], ["esxbackup-run-run-0000", 9]) }, removeFirst: [9, 4], refusedFor: undefined, user: [], quiesce: false },
    { name: "a snapshot named for this very run is stale too", input: { tree: chain(["esxbackup-run-run-0002", 3]) }, removeFirst: [3], refusedFor: undefined, user: [], quiesce: false },
    { name: "a user snapshot refuses", input: { tree: chain(["before upgrade", 1]) }, removeFirst: [], refusedFor: [1], user: [1], quiesce: false },
    { name: "a user snapshot is read through when allowed", input: { tree: chain(["before upgrade", 1]), allowUserSnapshots: true }, removeFirst: [], refusedFor: undefined, user: [1], quiesce: false },
    { name: "orphans go even when users' snapshots refuse; theirs stay", input: { tree: chain(["before upgrade", 1], ["esxbackup-run-run-0001", 2], ["esxbackup-run x", 3]) }, removeFirst: [2], refusedFor: [1, 3], user: [1, 3], quiesce: false },
    { name: "quiesce on a running VM", input: { tree: chain(), quiesce: true }, removeFirst: [], refusedFor: undefined, user: [], quiesce: true },
    { name: "no quiesce on a powered-off VM", input: { tree: chain(), quiesce: true, powerState: "poweredOff" }, removeFirst: [], refusedFor: undefined, user: [], quiesce: false },
    { name: "no quiesce on a suspended VM", input: { tree: chain(), quiesce: true, powerState: "suspended" }, removeFirst: [], refusedFor: undefined, user: [], quiesce: false },
  ];
  for (const c of cases) {
    const d = decideRunSnapshot({ ...base, ...c.input });
    assert.deepEqual(d.removeFirst.map((s) => s.id), c.removeFirst, c.name);
    assert.deepEqual(d.refusedFor?.map((s) => s.id), c.refusedFor, c.name);
    assert.deepEqual(d.userSnapshots.map((s) => s.id), c.user, c.name);
    assert.equal(d.quiesce, c.quiesce, c.name);
  }
});

test("a tree without snapshot ids (ESX 4.x) is refused, not guessed at", () => {
  assert.throws(() => decideRunSnapshot({ ...base, tree: chain(["esxbackup-run-run-0001", undefined]) }), HostOutputError);
});
