/**
 * How taking and removing a run's snapshot can fail, as typed errors: a refusal a person must act on (the
 * VM has snapshots of the user's), a host fault from `snapshot.create` / `snapshot.remove` with the host's
 * own words, and a snapshot we could not remove, which names the snapshot left behind and says who removes
 * it. Kept together so the taxonomy reads in one place.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { VimFault } from "../parsers/parse-fault.js";
import type { SnapshotRef } from "./classify-snapshots.js";

/** The VM a snapshot operation is about: its vim-cmd id and its name (for messages). */
export interface SnapshotVm {
  readonly vmid: number;
  readonly name: string;
}

function vmLabel(vm: SnapshotVm): string {
  return `VM ${JSON.stringify(vm.name)} (vmid ${vm.vmid})`;
}

function list(snapshots: readonly SnapshotRef[]): string {
  return snapshots.map((s) => `${JSON.stringify(s.name)} (id ${s.id})`).join(", ");
}

/** The VM has snapshots that are not ours: refused, because taking ours would mean reading through theirs. */
export class UserSnapshotsPresentError extends EsxbackupError {
  readonly vm: SnapshotVm;
  readonly snapshots: readonly SnapshotRef[];
  constructor(vm: SnapshotVm, snapshots: readonly SnapshotRef[]) {
    super(
      "vm_has_user_snapshots",
      `${vmLabel(vm)} has snapshots not taken by esxbackup: ${list(snapshots)}. The backup is refused and they are left as they are; ` +
        `to back up through them (reading the disks below them, never removing them) allow user snapshots explicitly (allowUserSnapshots / --allow-user-snapshots)`,
    );
    this.vm = vm;
    this.snapshots = snapshots;
  }
}

export type SnapshotOperation = "create" | "remove" | "get";

/** `vim-cmd vmsvc/snapshot.<operation>` failed on the host: a fault printed by vim-cmd, or a failed command. */
export class SnapshotOperationError extends EsxbackupError {
  readonly vm: SnapshotVm;
  readonly operation: SnapshotOperation;
  /** The host's fault when it printed one (`vim.fault.ToolsUnavailable`, …). */
  readonly fault: VimFault | undefined;
  /** What the host printed instead of doing it, when it refused in words rather than with a fault. */
  readonly hostSaid: readonly string[];
  constructor(vm: SnapshotVm, operation: SnapshotOperation, what: string, detail: { fault?: VimFault; problem?: string; hostSaid?: readonly string[]; cause?: unknown }) {
    const reason = detail.fault !== undefined ? `${detail.fault.type}: ${detail.fault.message ?? "(no message)"}` : (detail.problem ?? "unknown failure");
    super(`snapshot_${operation}_failed`, `${vmLabel(vm)}: ${what} failed: ${reason}`, { cause: detail.cause });
    this.vm = vm;
    this.operation = operation;
    this.fault = detail.fault;
    this.hostSaid = detail.hostSaid ?? [];
  }
}

/**
 * The run's snapshot could not be removed (host fault, connection lost and not regained). It stays on the
 * host under its name, and the next backup of the VM removes it. `workError` is what failed first, if the
 * work itself failed; `workCompleted` says whether the work finished.
 */
export class RunSnapshotLeftBehindError extends EsxbackupError {
  readonly vm: SnapshotVm;
  /** No id when a failed create left a snapshot we could not even list. */
  readonly snapshot: { readonly name: string; readonly id?: number };
  readonly workCompleted: boolean;
  readonly workError: unknown;
  constructor(vm: SnapshotVm, snapshot: { readonly name: string; readonly id?: number }, options: { cause: unknown; workCompleted: boolean; workError?: unknown }) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    const work = options.workCompleted ? "the run's work completed" : `the run failed first: ${options.workError instanceof Error ? options.workError.message : String(options.workError)}`;
    super(
      "run_snapshot_left_behind",
      `${vmLabel(vm)}: the run's snapshot ${JSON.stringify(snapshot.name)}${snapshot.id === undefined ? "" : ` (id ${snapshot.id})`} could not be removed (${why}); ` +
        `it may be left on the host and the next backup of this VM removes it (${work})`,
      { cause: options.cause },
    );
    this.vm = vm;
    this.snapshot = snapshot;
    this.workCompleted = options.workCompleted;
    this.workError = options.workError;
  }
}
