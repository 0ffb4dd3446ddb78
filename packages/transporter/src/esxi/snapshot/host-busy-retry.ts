/**
 * When the host refuses a vim-cmd call because another task holds the VM, the caller waits and tries
 * again, a bounded number of times. The call then prints the fault `vim.fault.TaskInProgress` ("Another
 * task is already in progress."): the VM is taking or consolidating a snapshot for someone else (the Host
 * Client, another backup tool), still consolidating an earlier removal, or being powered on or reconfigured
 * by someone else. It says nothing about the request itself, and the host did nothing, so the same call can
 * succeed once that task ends.
 *
 * Only that fault is waited out: the vSphere API reference gives it for the snapshot methods and for
 * PowerOnVM_Task "if the virtual machine is busy", and no other fault is known to mean that.
 * `vim.fault.InvalidState` is a state that need not pass ("the virtual machine configuration information is
 * not available"), so it is not retried.
 *
 * The waits (docs/adr/0022-run-snapshot.md, docs/adr/0042-restore-to-a-host-that-lacks-what-the-vm-names.md):
 * - create: 4 tries over 1.5 minutes (15 s, 30 s, 45 s). A snapshot someone else takes of a running VM takes
 *   seconds to a minute; a VM busy for longer is better reported at once than holding up the VMs after it.
 * - remove (our own snapshot, which must not be left behind): 7 tries over 6.75 minutes (15 s, 30 s, 1, 1, 2,
 *   2 minutes): the other task may be a consolidation, which runs for minutes.
 * - register (a restore's `solo/registervm`): 5 tries over 2.75 minutes (15 s, 30 s, 1, 1 minute). Every disk
 *   is written by then, and a restore holds up no other VM, so it is more patient than a create; the API
 *   reference does not list TaskInProgress for RegisterVM_Task, so this is for a host that answers so anyway.
 * - unregister (a failed restore's undo of the VM it registered, which must not be left in the inventory): as
 *   long as our snapshot's removal, for the same reason.
 * - power-on (a restored VM's `power.on`): as a create. Someone else's task on a VM we just registered (a
 *   power-on or reconfigure from the Host Client) is short, and a VM that still does not start is restored
 *   and registered all the same: the user can start it.
 */
import type { VimFault } from "../parsers/parse-fault.js";

export type BusyRetriedOperation = "create" | "remove" | "register" | "unregister" | "power-on";

/** The faults that mean "another task holds the VM, try later", by their short name. */
const HOST_BUSY_FAULTS: ReadonlySet<string> = new Set(["TaskInProgress"]);

/** The waits before each further try, in order; their count is the number of tries after the first. */
export const HOST_BUSY_WAITS_MS: Readonly<Record<BusyRetriedOperation, readonly number[]>> = {
  create: [15_000, 30_000, 45_000],
  remove: [15_000, 30_000, 60_000, 60_000, 120_000, 120_000],
  register: [15_000, 30_000, 60_000, 60_000],
  unregister: [15_000, 30_000, 60_000, 60_000, 120_000, 120_000],
  "power-on": [15_000, 30_000, 45_000],
};

/**
 * One wait, said before it starts: the host refused `operation` because another task holds the VM
 * (`reason`, its fault), and it is tried again after `waitMs`, as try `nextTry` of `tries`.
 */
export interface HostBusyWait {
  readonly operation: BusyRetriedOperation;
  readonly reason: string;
  readonly waitMs: number;
  readonly nextTry: number;
  readonly tries: number;
}

export type HostBusyDecision = { readonly retry: false } | { readonly retry: true; readonly waitMs: number; readonly tries: number };

/** Whether the host being busy (`fault`) is waited out after the `failedTries`-th failed try of `operation`. */
export function decideHostBusyRetry(operation: BusyRetriedOperation, fault: VimFault | undefined, failedTries: number): HostBusyDecision {
  if (fault === undefined || !isHostBusyFault(fault)) return { retry: false };
  const waits = HOST_BUSY_WAITS_MS[operation];
  const waitMs = waits[failedTries - 1];
  return waitMs === undefined ? { retry: false } : { retry: true, waitMs, tries: waits.length + 1 };
}

/** The host refused because another task holds the VM (not because of the request). */
export function isHostBusyFault(fault: VimFault): boolean {
  return HOST_BUSY_FAULTS.has(fault.name);
}
