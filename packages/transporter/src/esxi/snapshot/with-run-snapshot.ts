/**
 * A backup run's snapshot around the run's work: take it, hand it to the work, remove exactly it whatever
 * happens — success, an error in the work, an abort, a dropped connection (the session reconnects and the
 * removal is tried again). Before taking it, our snapshots left by crashed runs are removed (found by name);
 * the user's snapshots are never touched, and refuse the run unless it is allowed to read through them.
 *
 * A create or remove whose answer was lost may or may not have happened on the host, so neither is ever
 * repeated blindly: the tree is read again and the snapshot looked up by name and id. When removal cannot be
 * done, `RunSnapshotLeftBehindError` names the snapshot; the next backup of the VM removes it by its name.
 */
import type { Scheduler } from "@esxbackup/domain";
import { EsxiSshError } from "../ssh/esxi-ssh-errors.js";
import type { VmPowerState } from "../parsers/parse-power-state.js";
import type { SnapshotTree } from "../parsers/parse-snapshot-tree.js";
import { flattenSnapshotTree, type SnapshotRef } from "./classify-snapshots.js";
import { decideRunSnapshot, staleRunSnapshots } from "./decide-run-snapshot.js";
import { isHostBusyFault, type HostBusyWait } from "./host-busy-retry.js";
import { RunSnapshotLeftBehindError, SnapshotOperationError, UserSnapshotsPresentError, type SnapshotVm } from "./run-snapshot-errors.js";
import { runSnapshotDescription, runSnapshotName } from "./run-snapshot-name.js";
import { retryWhileHostBusy, waitOutHostBusy } from "./wait-out-host-busy.js";
import { createSnapshot, readPowerState, readSnapshotTree, removeSnapshot, type SnapshotSession } from "./vim-cmd-snapshots.js";

export interface RunSnapshotOptions {
  /** The run's id: the snapshot is named `esxbackup-run-<runId>`. */
  readonly runId: string;
  /** Ask for a quiesced snapshot (VMware Tools in the guest); ignored unless the VM is powered on. */
  readonly quiesce?: boolean;
  /**
   * When the host refuses the quiesced snapshot (no VMware Tools running, a quiesce that failed), take it
   * unquiesced — crash-consistent, as a power cut would leave the disks — and say so (`quiesce-failed`).
   * A lost connection or an abort is not a refusal and is not fallen back from.
   */
  readonly quiesceFallback?: boolean;
  /** Back up through the user's snapshots (kept) instead of refusing. */
  readonly allowUserSnapshots?: boolean;
  /** Stops the run; the snapshot is removed all the same. */
  readonly signal?: AbortSignal;
  /** Tries at removing the snapshot when the connection fails (default 3). */
  readonly removeAttempts?: number;
  /**
   * Times the waits while the host is busy with another task on the VM (host-busy-retry.ts): a test moves
   * them with `ManualScheduler.fire()`. Default: real timers.
   */
  readonly scheduler?: Scheduler;
  /** Timeout of `snapshot.create` / `snapshot.remove` (consolidation runs inside remove); default 30 minutes. */
  readonly snapshotCommandTimeoutMs?: number | undefined;
  readonly onEvent?: (event: RunSnapshotEvent) => void;
}

export type RunSnapshotEvent =
  | { type: "orphan-removed"; vmid: number; snapshot: SnapshotRef }
  | { type: "created"; vmid: number; snapshot: SnapshotRef; quiesced: boolean }
  /** The quiesced create was refused by the host (`reason`, its fault); an unquiesced one is taken instead. */
  | { type: "quiesce-failed"; vmid: number; reason: string }
  | { type: "removed"; vmid: number; snapshot: SnapshotRef }
  | { type: "remove-retry"; vmid: number; snapshot: SnapshotRef; attempt: number; reason: string }
  /**
   * The host refused `operation` (create or remove) because another task holds the VM (`reason`, its fault):
   * tried again after `waitMs`, as try `nextTry` of `tries`.
   */
  | ({ type: "host-busy"; vmid: number } & HostBusyWait);

/** What the work gets: the snapshot that freezes the VM's disks for the run. */
export interface RunSnapshot {
  readonly vm: SnapshotVm;
  readonly snapshot: SnapshotRef;
  readonly quiesced: boolean;
  readonly powerState: VmPowerState;
  /** The user's snapshots the run reads through (only with allowUserSnapshots). */
  readonly userSnapshots: readonly SnapshotRef[];
  readonly signal: AbortSignal | undefined;
  /**
   * Removes the snapshot now: for work that has read all it needs from the frozen disks and has more to do
   * that needs no host (making the backup durable), so the snapshot stops growing on the host meanwhile.
   * Rejects when the snapshot was found gone already, removed by someone else while the disks were read
   * (`SnapshotOperationError`: what was read cannot be trusted, so it must not be kept); resolves otherwise,
   * also when the removal failed: what was read stands, and the run reports the snapshot left behind after
   * the work, as it does when the work does not release it. Called again, the same outcome.
   */
  release(): Promise<void>;
}

export async function withRunSnapshot<T>(session: SnapshotSession, vm: SnapshotVm, options: RunSnapshotOptions, work: (snapshot: RunSnapshot) => Promise<T>): Promise<T> {
  const name = runSnapshotName(options.runId);
  const signal = options.signal;
  const command = { timeoutMs: options.snapshotCommandTimeoutMs };
  signal?.throwIfAborted();
  const [tree, powerState] = await Promise.all([readSnapshotTree(session, vm, { signal }), readPowerState(session, vm, { signal })]);
  const decision = decideRunSnapshot({ tree, runId: options.runId, powerState, quiesce: options.quiesce ?? false, allowUserSnapshots: options.allowUserSnapshots ?? false });
  await removeOrphans(session, vm, decision.removeFirst, options);
  if (decision.refusedFor !== undefined) throw new UserSnapshotsPresentError(vm, decision.refusedFor);
  signal?.throwIfAborted();

  const create = async (quiesce: boolean): Promise<SnapshotRef> => {
    try {
      const remarks = await createSnapshot(session, vm, { name, description: runSnapshotDescription(options.runId), quiesce }, { ...command, signal });
      return findOnly(await readSnapshotTree(session, vm), name, vm, remarks);
    } catch (error) {
      // The host may have made the snapshot even so (answer lost, cancelled mid-way, a quiesce fault that left
      // one): whatever carries our name goes, and the create's own error is what the caller sees.
      await removeByName(session, vm, name, options).catch((cleanup: unknown) => {
        throw new RunSnapshotLeftBehindError(vm, { name }, { cause: cleanup, workCompleted: false, workError: error });
      });
      throw error;
    }
  };
  // A create the host refused because it is busy with another task on the VM is tried again after a wait; by
  // then `create` has removed whatever carries our name, so each try starts with no snapshot of ours.
  // An abort ends the wait at once: there is no snapshot of ours to remove.
  const createWhenNotBusy = (quiesce: boolean): Promise<SnapshotRef> =>
    retryWhileHostBusy(() => create(quiesce), (error, failedTries) => waitIfHostBusy(error, "create", failedTries, vm, options, signal));
  let quiesced = decision.quiesce;
  let snapshot: SnapshotRef;
  try {
    snapshot = await createWhenNotBusy(quiesced);
  } catch (error) {
    // Only the host's own refusal of a quiesced create is fallen back from, and only when asked: a fault, or
    // words printed in place of a snapshot. A host still busy after the waits did not refuse the quiescing.
    const busy = error instanceof SnapshotOperationError && error.fault !== undefined && isHostBusyFault(error.fault);
    const refusal = error instanceof SnapshotOperationError && error.operation === "create" && !busy ? hostRefusal(error) : undefined;
    if (!(quiesced && options.quiesceFallback === true && refusal !== undefined)) throw error;
    options.onEvent?.({ type: "quiesce-failed", vmid: vm.vmid, reason: refusal });
    signal?.throwIfAborted();
    quiesced = false;
    snapshot = await createWhenNotBusy(false);
  }
  options.onEvent?.({ type: "created", vmid: vm.vmid, snapshot, quiesced });

  // One removal, whoever asks first: the work through `release`, or the end of the work.
  let removal: Promise<"removed" | "vanished"> | undefined;
  const remove = (): Promise<"removed" | "vanished"> => (removal ??= removeRunSnapshot(session, vm, snapshot, options));
  const vanished = (): SnapshotOperationError =>
    new SnapshotOperationError(vm, "remove", `snapshot ${JSON.stringify(snapshot.name)} (id ${snapshot.id})`, {
      problem: "it was removed by someone else during the run, so the disks may have changed while they were read; the copy cannot be trusted",
    });
  const release = (): Promise<void> =>
    remove().then(
      (outcome) => {
        if (outcome === "vanished") throw vanished();
      },
      // Not removed: reported once the work is done, below.
      () => undefined,
    );

  let result: T;
  try {
    signal?.throwIfAborted();
    result = await work({ vm, snapshot, quiesced, powerState, userSnapshots: decision.userSnapshots, signal, release });
  } catch (workError) {
    await remove().catch((cleanup: unknown) => {
      throw new RunSnapshotLeftBehindError(vm, snapshot, { cause: cleanup, workCompleted: false, workError });
    });
    throw workError;
  }
  // Released by the work or not, the removal's outcome decides here: a vanished snapshot fails the run.
  const outcome = await remove().catch((cleanup: unknown) => {
    throw new RunSnapshotLeftBehindError(vm, snapshot, { cause: cleanup, workCompleted: true });
  });
  if (outcome === "vanished") throw vanished();
  return result;
}

/**
 * Removes our snapshots left by crashed runs (or an earlier attempt of this one), newest first, as a run does
 * before taking its own, and returns them: for a caller that must look at the VM without them before it
 * decides to back it up (a VM flagged as needing disk consolidation may be flagged for them). The user's
 * snapshots are not touched.
 */
export async function removeOrphanRunSnapshots(session: SnapshotSession, vm: SnapshotVm, options: Pick<RunSnapshotOptions, "runId" | "signal" | "snapshotCommandTimeoutMs" | "onEvent" | "scheduler">): Promise<readonly SnapshotRef[]> {
  const orphans = staleRunSnapshots(await readSnapshotTree(session, vm, { signal: options.signal }), options.runId);
  await removeOrphans(session, vm, orphans, options);
  return orphans;
}

async function removeOrphans(session: SnapshotSession, vm: SnapshotVm, orphans: readonly SnapshotRef[], options: Pick<RunSnapshotOptions, "signal" | "snapshotCommandTimeoutMs" | "onEvent" | "scheduler">): Promise<void> {
  for (const orphan of orphans) {
    // Waited out like our own snapshot's removal while the host is busy, but not past an abort: the run
    // has taken nothing yet, and the next run removes the orphan.
    await retryWhileHostBusy(
      async () => {
        options.signal?.throwIfAborted();
        await removeSnapshot(session, vm, orphan.id, { timeoutMs: options.snapshotCommandTimeoutMs, signal: options.signal });
      },
      (error, failedTries) => waitIfHostBusy(error, "remove", failedTries, vm, options, options.signal),
    );
    options.onEvent?.({ type: "orphan-removed", vmid: vm.vmid, snapshot: orphan });
  }
}

/**
 * When `error` is the host refusing `operation` because another task holds the VM, and host-busy-retry.ts
 * says to wait after `failedTries` such refusals: says so (`host-busy`), waits, and returns true to try
 * again. False: `error` stands. `signal` ends the wait at once (undefined for our snapshot's removal).
 */
async function waitIfHostBusy(error: unknown, operation: "create" | "remove", failedTries: number, vm: SnapshotVm, options: Pick<RunSnapshotOptions, "onEvent" | "scheduler">, signal: AbortSignal | undefined): Promise<boolean> {
  if (!(error instanceof SnapshotOperationError && error.operation === operation)) return false;
  const onHostBusy = (wait: HostBusyWait): void => options.onEvent?.({ type: "host-busy", vmid: vm.vmid, ...wait });
  return waitOutHostBusy(operation, error.fault, failedTries, hostRefusal(error) ?? error.message, { scheduler: options.scheduler, onHostBusy }, signal);
}

/** The host's own reason for refusing a create, if it gave one (a fault, or words printed instead of a snapshot). */
function hostRefusal(error: SnapshotOperationError): string | undefined {
  if (error.fault !== undefined) return `${error.fault.type}: ${error.fault.message ?? "(no message)"}`;
  return error.hostSaid.length > 0 ? error.hostSaid.join(" ") : undefined;
}

/**
 * The one snapshot named `name`. The tree decides, not what the create printed: none (or two) is the host's
 * failure, told in its own words when it printed any (`remarks`, e.g. "Snapshot not taken since …").
 */
function findOnly(tree: SnapshotTree, name: string, vm: SnapshotVm, remarks: readonly string[]): SnapshotRef {
  const found = flattenSnapshotTree(tree).filter((s) => s.name === name);
  const only = found[0];
  if (found.length !== 1 || only?.id === undefined) {
    const said = remarks.length === 0 ? "the host reported success" : `the host printed ${JSON.stringify(remarks.join(" "))}`;
    // Printed words and no snapshot: the host refused in words. Words and a snapshot (or two) are not a refusal.
    const hostSaid = found.length === 0 ? remarks : [];
    throw new SnapshotOperationError(vm, "create", `snapshot ${JSON.stringify(name)}`, { problem: `${said} and its tree holds ${found.length} snapshots of that name`, hostSaid });
  }
  return { name, id: only.id };
}

/**
 * Removes `snapshot` (by id, after checking the id still carries its name), trying again after connection
 * failures and, after a wait, while the host is busy with another task on the VM (host-busy-retry.ts: more
 * and longer tries than a create's, the snapshot must not be left behind); no abort signal, not even for
 * the waits, because removal is what an abort must still do. "vanished": it was gone before we removed it
 * — someone else consolidated it while the work read through it.
 */
async function removeRunSnapshot(session: SnapshotSession, vm: SnapshotVm, snapshot: SnapshotRef, options: RunSnapshotOptions): Promise<"removed" | "vanished"> {
  const attempts = options.removeAttempts ?? 3;
  let tried = false;
  let busyRefusals = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const present = flattenSnapshotTree(await readSnapshotTree(session, vm)).some((s) => s.id === snapshot.id && s.name === snapshot.name);
      if (!present) {
        // Gone after a remove whose answer was lost: it was ours that removed it.
        if (!tried) return "vanished";
        break;
      }
      tried = true;
      await removeSnapshot(session, vm, snapshot.id, { timeoutMs: options.snapshotCommandTimeoutMs });
      break;
    } catch (error) {
      if (error instanceof SnapshotOperationError && error.operation === "remove" && error.fault !== undefined && isHostBusyFault(error.fault)) {
        if (!(await waitIfHostBusy(error, "remove", ++busyRefusals, vm, options, undefined))) throw error;
        // The host refused outright: this try does not count against those after a lost connection, and
        // the tree is read again, so a snapshot the other task removed meanwhile is not taken for vanished.
        attempt--;
        continue;
      }
      const retry = error instanceof EsxiSshError && error.retryable && attempt < attempts;
      if (!retry) throw error;
      options.onEvent?.({ type: "remove-retry", vmid: vm.vmid, snapshot, attempt, reason: error.message });
    }
  }
  options.onEvent?.({ type: "removed", vmid: vm.vmid, snapshot });
  return "removed";
}

/** After a failed create: removes whatever carries the run's name (usually nothing). */
async function removeByName(session: SnapshotSession, vm: SnapshotVm, name: string, options: RunSnapshotOptions): Promise<void> {
  const ours = flattenSnapshotTree(await readSnapshotTree(session, vm)).filter((s) => s.name === name && s.id !== undefined);
  for (const s of ours.reverse()) await removeRunSnapshot(session, vm, { name, id: s.id as number }, options);
}
