/**
 * Faults the host injects, settable in config and at run time. Each fault is checked when the operation
 * starts; changing a fault never affects an operation already under way.
 */
import type { BusyOperation, ConsolidateFaultConfig, FaultsConfig, OperationFaultConfig, TaskInProgressFaultConfig, VmMessageFaultConfig } from "../config/simulator-config.js";

export class HostFaults {
  snapshotCreate: OperationFaultConfig | null;
  consolidate: ConsolidateFaultConfig | null;
  taskInProgress: TaskInProgressFaultConfig | null;
  vmMessage: VmMessageFaultConfig | null;
  readonly #fullDatastores: Set<string>;

  constructor(initial: FaultsConfig) {
    this.snapshotCreate = initial.snapshotCreate;
    this.consolidate = initial.consolidate;
    this.taskInProgress = initial.taskInProgress;
    this.vmMessage = initial.vmMessage;
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
   * Makes the next `tries` snapshot.create / snapshot.remove / registervm / unregister / power.on calls (only
   * those of `operations` when given) fail with `vim.fault.TaskInProgress`, as while another task (a snapshot
   * taken or consolidated, a power-on or a registration from the Host Client) holds the VM (null: none).
   */
  busyWithAnotherTask(tries: number | null, operations?: readonly BusyOperation[]): void {
    this.taskInProgress = tries === null ? null : { tries, ...(operations === undefined ? {} : { operations: [...operations] }) };
  }

  /** Whether this call is refused as busy; counts the try against the fault when it is one the fault covers. */
  takeBusyTry(operation: BusyOperation): boolean {
    const fault = this.taskInProgress;
    if (fault === null || (fault.operations !== undefined && !fault.operations.includes(operation))) return false;
    this.taskInProgress = fault.tries > 1 ? { ...fault, tries: fault.tries - 1 } : null;
    return true;
  }

  /** Makes the next `tries` looks at a VM's question (`vim-cmd vmsvc/message VMID`) fail as `kind` says (null: none). */
  failVmMessage(fault: VmMessageFaultConfig | null): void {
    this.vmMessage = fault;
  }

  /** How this look at a VM's question fails, if it does; counts it against the fault. */
  takeVmMessageFailure(): VmMessageFaultConfig["kind"] | undefined {
    const fault = this.vmMessage;
    if (fault === null) return undefined;
    this.vmMessage = fault.tries > 1 ? { ...fault, tries: fault.tries - 1 } : null;
    return fault.kind;
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
