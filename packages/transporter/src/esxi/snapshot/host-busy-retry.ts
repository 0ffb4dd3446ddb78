/**
 * When the host refuses a snapshot operation because another task holds the VM, the run waits and tries
 * again, a bounded number of times. `snapshot.create` / `snapshot.remove` then print the fault
 * `vim.fault.TaskInProgress` ("Another task is already in progress."): the VM is taking or consolidating a
 * snapshot for someone else (the Host Client, another backup tool) or still consolidating an earlier
 * removal. It says nothing about the request itself, so the same call can succeed once that task ends.
 *
 * Only that fault is waited out: the vSphere API reference gives it for the snapshot methods "if the virtual
 * machine is busy", and no other fault is known to mean that. `vim.fault.InvalidState` is a state that need
 * not pass ("the virtual machine configuration information is not available"), so it is not retried.
 *
 * The waits (docs/adr/0022-run-snapshot.md):
 * - create: 4 tries over 1.5 minutes (15 s, 30 s, 45 s). A snapshot someone else takes of a running VM takes
 *   seconds to a minute; a VM busy for longer is better reported at once than holding up the VMs after it.
 * - remove (our own snapshot, which must not be left behind): 7 tries over 6.75 minutes (15 s, 30 s, 1, 1, 2,
 *   2 minutes): the other task may be a consolidation, which runs for minutes.
 */
import type { VimFault } from "../parsers/parse-fault.js";

export type BusyRetriedOperation = "create" | "remove";

/** The faults that mean "another task holds the VM, try later", by their short name. */
const HOST_BUSY_FAULTS: ReadonlySet<string> = new Set(["TaskInProgress"]);

/** The waits before each further try, in order; their count is the number of tries after the first. */
export const HOST_BUSY_WAITS_MS: Readonly<Record<BusyRetriedOperation, readonly number[]>> = {
  create: [15_000, 30_000, 45_000],
  remove: [15_000, 30_000, 60_000, 60_000, 120_000, 120_000],
};

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
