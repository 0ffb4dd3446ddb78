/**
 * Waits out the host being busy with another task on the VM, as host-busy-retry.ts decides: the one adapter
 * every busy-retried vim-cmd call goes through (the run snapshot's create and remove, a restore's
 * registervm, unregister and power.on), so that each says so the same way (`HostBusyWait`, which the CLI
 * logs as `waiting: the host is busy …`) and waits on the same injected scheduler.
 */
import { timerScheduler, waitFor, type Scheduler } from "@esxbackup/domain";
import type { VimFault } from "../parsers/parse-fault.js";
import { decideHostBusyRetry, type BusyRetriedOperation, type HostBusyWait } from "./host-busy-retry.js";

export interface HostBusyWaiting {
  /** Times the waits; a test moves them with `ManualScheduler.fire()`. Default: real timers. */
  readonly scheduler?: Scheduler | undefined;
  /** Told before each wait. */
  readonly onHostBusy?: ((wait: HostBusyWait) => void) | undefined;
}

/**
 * When `fault` is the host refusing `operation` because another task holds the VM, and the decision is to
 * wait after `failedTries` such refusals: says so (`reason`, the host's words), waits, and returns true to
 * try again. False: the caller's error stands. `signal` ends the wait at once, rejecting with its reason;
 * undefined for a clean-up that an abort must not stop.
 */
export async function waitOutHostBusy(operation: BusyRetriedOperation, fault: VimFault | undefined, failedTries: number, reason: string, waiting: HostBusyWaiting, signal: AbortSignal | undefined): Promise<boolean> {
  const busy = decideHostBusyRetry(operation, fault, failedTries);
  if (!busy.retry) return false;
  waiting.onHostBusy?.({ operation, reason, waitMs: busy.waitMs, nextTry: failedTries + 1, tries: busy.tries });
  await waitFor(waiting.scheduler ?? timerScheduler, busy.waitMs, signal);
  return true;
}

/**
 * Runs `attempt` until it succeeds, or fails with an error `waitIfBusy` does not wait out (that error is
 * thrown). `attempt` is told which try it is, from 1, so that a try after a wait can first look at what the
 * other task did.
 */
export async function retryWhileHostBusy<T>(attempt: (tryNumber: number) => Promise<T>, waitIfBusy: (error: unknown, failedTries: number) => Promise<boolean>): Promise<T> {
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      if (!(await waitIfBusy(error, tryNumber))) throw error;
    }
  }
}
