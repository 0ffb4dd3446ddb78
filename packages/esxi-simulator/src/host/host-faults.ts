/**
 * Faults the host injects, settable in config and at run time. Each fault is checked when the operation
 * starts; changing a fault never affects an operation already under way.
 */
import type { ConsolidateFaultConfig, FaultsConfig, OperationFaultConfig, TaskInProgressFaultConfig } from "../config/simulator-config.js";

export class HostFaults {
  snapshotCreate: OperationFaultConfig | null;
  consolidate: ConsolidateFaultConfig | null;
  taskInProgress: TaskInProgressFaultConfig | null;
  readonly #fullDatastores: Set<string>;

  constructor(initial: FaultsConfig) {
    this.snapshotCreate = initial.snapshotCreate;
    this.consolidate = initial.consolidate;
    this.taskInProgress = initial.taskInProgress;
    this.#fullDatastores = new Set(initial.fullDatastores);
  }

  /** Makes the next snapshot.create fail (null: succeed again). */
  failSnapshotCreate(fault: OperationFaultConfig | null = {}): void {
    this.snapshotCreate = fault;
  }

  /**
   * Makes snapshot.remove/removeall fail before merging anything (null: succeed again); with `leavesDeltas`,
   * after deleting the snapshot from the tree, its deltas left behind (ConsolidateFaultConfig).
   */
  failConsolidation(fault: ConsolidateFaultConfig | null = {}): void {
    this.consolidate = fault;
  }

  /**
   * Makes the next `tries` snapshot.create / snapshot.remove calls fail with `vim.fault.TaskInProgress`, as
   * while another task (a snapshot taken or consolidated from the Host Client) holds the VM (null: none).
   */
  busyWithAnotherTask(tries: number | null): void {
    this.taskInProgress = tries === null ? null : { tries };
  }

  /** Whether this snapshot operation is refused as busy; counts the try against the fault. */
  takeBusyTry(): boolean {
    const fault = this.taskInProgress;
    if (fault === null) return false;
    this.taskInProgress = fault.tries > 1 ? { tries: fault.tries - 1 } : null;
    return true;
  }

  /** Makes a datastore behave as full (no byte can be allocated) or lifts that. */
  setDatastoreFull(name: string, full: boolean): void {
    if (full) this.#fullDatastores.add(name);
    else this.#fullDatastores.delete(name);
  }

  isDatastoreFull(name: string): boolean {
    return this.#fullDatastores.has(name);
  }
}
