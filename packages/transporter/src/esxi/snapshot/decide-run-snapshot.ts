/**
 * What a run does about snapshots before it takes its own, decided from the VM's snapshot tree and power
 * state alone: which of our snapshots to remove first (orphans of crashed runs, newest first: ids grow with time), whether the
 * user's snapshots refuse the backup, and whether the snapshot is quiesced. Quiescing needs a running guest
 * (VMware Tools inside it), so it is asked for only when the VM is powered on; a memory image is never taken
 * (a backup reads disks, and memory would cost the VM's RAM in datastore space and a longer stun).
 */
import type { SnapshotTree } from "../parsers/parse-snapshot-tree.js";
import type { VmPowerState } from "../parsers/parse-power-state.js";
import { classifySnapshots, type ClassifiedSnapshots, type SnapshotRef } from "./classify-snapshots.js";

export interface RunSnapshotDecisionInput {
  readonly tree: SnapshotTree;
  readonly runId: string;
  readonly powerState: VmPowerState;
  /** The caller asks for a quiesced snapshot (needs VMware Tools in a running guest). */
  readonly quiesce: boolean;
  /** The user's snapshots are read through (kept) instead of refusing the backup. */
  readonly allowUserSnapshots: boolean;
}

export interface RunSnapshotDecision {
  /** Ours, left by earlier runs (or an earlier attempt of this one): removed before the new snapshot, in this order. */
  readonly removeFirst: readonly SnapshotRef[];
  /** The user's snapshots when they refuse the backup; undefined when the run may go on. */
  readonly refusedFor: readonly SnapshotRef[] | undefined;
  /** The user's snapshots the run reads through (kept as they are). */
  readonly userSnapshots: readonly SnapshotRef[];
  /** Whether `snapshot.create` is asked to quiesce. */
  readonly quiesce: boolean;
}

export function decideRunSnapshot(input: RunSnapshotDecisionInput): RunSnapshotDecision {
  const classified = classifySnapshots(input.tree, input.runId);
  const removeFirst = staleRunSnapshotsOf(classified);
  const refused = classified.user.length > 0 && !input.allowUserSnapshots;
  return {
    removeFirst,
    refusedFor: refused ? classified.user : undefined,
    userSnapshots: classified.user,
    quiesce: input.quiesce && input.powerState === "poweredOn",
  };
}

/** Our snapshots a run removes before taking its own, newest first (ids grow with time). */
export function staleRunSnapshots(tree: SnapshotTree, runId: string): SnapshotRef[] {
  return staleRunSnapshotsOf(classifySnapshots(tree, runId));
}

function staleRunSnapshotsOf(classified: ClassifiedSnapshots): SnapshotRef[] {
  // A snapshot already named for this run is from an attempt that did not finish: ours, and stale.
  return [...classified.orphans, ...classified.current].sort((a, b) => b.id - a.id);
}
