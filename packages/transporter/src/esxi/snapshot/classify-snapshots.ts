/**
 * Which of a VM's snapshots belong to esxbackup runs and which to the user, decided from the parsed
 * `snapshot.get` tree alone. Ours are recognised by name only (`runIdOfSnapshotName`); everything else is
 * the user's and is never removed. A snapshot of ours from another run is an orphan of a run that crashed
 * or lost its host: the next backup removes it before taking its own.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import type { SnapshotTree, SnapshotTreeNode } from "../parsers/parse-snapshot-tree.js";
import type { ParsedVmsd } from "../parsers/parse-vmsd.js";
import { runIdOfSnapshotName } from "./run-snapshot-name.js";

export interface SnapshotRef {
  readonly name: string;
  readonly id: number;
}

export interface ClassifiedSnapshots {
  /** Ours, from other runs: to remove before this run takes its snapshot. */
  readonly orphans: readonly SnapshotRef[];
  /** Ours, from this run (present after a create, or after a create whose answer was lost). */
  readonly current: readonly SnapshotRef[];
  /** Everyone else's: never touched. */
  readonly user: readonly SnapshotRef[];
}

/** Every snapshot of the tree, parents before children. */
export function flattenSnapshotTree(tree: SnapshotTree): SnapshotTreeNode[] {
  const out: SnapshotTreeNode[] = [];
  const visit = (node: SnapshotTreeNode): void => {
    out.push(node);
    node.children.forEach(visit);
  };
  tree.roots.forEach(visit);
  return out;
}

/**
 * The most snapshots stacked on one path from a root down (0 for none). A disk's chain holds one delta per
 * snapshot on the path from the root to the snapshot the VM runs on (esxi-facts 2.4: each snapshot freezes
 * the disk it names and the VM writes a new delta), never more than this; deltas of the other branches are
 * not in it. So a chain longer than the depth holds deltas no snapshot owns, where a count of all the
 * tree's snapshots would let as many such deltas pass as the tree has snapshots off the path.
 */
export function snapshotTreeDepth(tree: SnapshotTree): number {
  const depth = (node: SnapshotTreeNode): number => 1 + Math.max(0, ...node.children.map(depth));
  return Math.max(0, ...tree.roots.map(depth));
}

/**
 * How many snapshots stand between the VM's base and its current state, from its `.vmsd`: the current
 * snapshot (`snapshot.current`, "the snapshot from which the virtual machine inherits", Broadcom KB 337269)
 * and its ancestors. A chain holds exactly one delta per snapshot on that path, so this bounds it more tightly
 * than `snapshotTreeDepth` where the tree branches: after a failed removal of C in A → {B, C}, the VM inherits
 * from A again (one snapshot) while its chain keeps C's delta (two). Undefined when the `.vmsd` names no
 * current snapshot, or describes other snapshots than `snapshot.get` lists (`treeSize`): the tree's depth is
 * then the bound.
 */
export function currentStateDepth(vmsd: Pick<ParsedVmsd, "currentUid" | "snapshots">, treeSize: number): number | undefined {
  if (vmsd.currentUid === undefined || vmsd.snapshots.length !== treeSize) return undefined;
  const byUid = new Map(vmsd.snapshots.map((s) => [s.uid, s]));
  let depth = 0;
  for (let uid: number | undefined = vmsd.currentUid; uid !== undefined; uid = byUid.get(uid)?.parentUid) {
    // A parent that is not in the file, or parents that come back round: not a tree to count on.
    if (!byUid.has(uid) || depth >= byUid.size) return undefined;
    depth++;
  }
  return depth;
}

/**
 * Sorts the tree's snapshots for run `runId`. A snapshot without an id (ESX 4.x prints none) cannot be
 * removed by id: such a tree raises rather than guess which snapshot `snapshot.remove` would take.
 */
export function classifySnapshots(tree: SnapshotTree, runId: string): ClassifiedSnapshots {
  const orphans: SnapshotRef[] = [];
  const current: SnapshotRef[] = [];
  const user: SnapshotRef[] = [];
  for (const node of flattenSnapshotTree(tree)) {
    if (node.id === undefined) throw new HostOutputError("vim-cmd vmsvc/snapshot.get", `snapshot '${node.name}' has no 'Snapshot Id': this host prints none (ESX 4.x), so snapshots cannot be removed by id`);
    const ref = { name: node.name, id: node.id };
    const owner = runIdOfSnapshotName(node.name);
    if (owner === undefined) user.push(ref);
    else if (owner === runId) current.push(ref);
    else orphans.push(ref);
  }
  return { orphans, current, user };
}
