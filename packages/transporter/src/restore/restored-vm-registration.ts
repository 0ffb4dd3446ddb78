/**
 * The restored VM in the host's inventory (restore-to-host.ts, docs/adr/0025, 0042): registered from its
 * `.vmx` with `vim-cmd solo/registervm`, powered on, and — when the restore fails before the end —
 * unregistered again. "Ours" is a VM registered from the restore's `.vmx` path that the restore did not find
 * registered by someone else (`notOurs`: a stale entry whose files were removed): those are named, never
 * unregistered. Each step whose answer may be lost is checked on the host before it is run again.
 *
 * A call the host refuses because another task holds the VM (`vim.fault.TaskInProgress`: the fault means it
 * did nothing) is tried again after a wait, as host-busy-retry.ts decides (docs/adr/0042): registervm as it
 * was (a VM registered from our path by someone else meanwhile is then `AlreadyExists`, handled as ever);
 * power.on only once the power state says the VM is still not on (the other task may have been a power-on);
 * the undo's unregister after reading the inventory again, and even after an abort, which is when the undo
 * matters most.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { Scheduler } from "@esxbackup/domain";
import { listHostVms } from "../esxi/inventory/list-host-vms.js";
import type { BusyRetriedOperation, HostBusyWait } from "../esxi/snapshot/host-busy-retry.js";
import { retryWhileHostBusy, waitOutHostBusy, type HostBusyWaiting } from "../esxi/snapshot/wait-out-host-busy.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";
import { powerOnVm, readVmPowerState, type Pause } from "../esxi/vim-cmd/power-on-vm.js";
import { runVimCmd } from "../esxi/vim-cmd/run-vim-cmd.js";
import { VimFaultError } from "../esxi/vim-cmd/vim-fault-error.js";
import { choiceWords } from "../esxi/vim-cmd/vm-question.js";
import { retryOptionsOf, runCheckedStep } from "./lost-connection-retry.js";
import type { HostRestorePlan } from "./plan-host-restore.js";

export type RegistrationSession = Pick<EsxiSshSession, "exec" | "label">;

/** What registering and powering on take of a restore's request. */
export interface RegistrationContext {
  session: RegistrationSession;
  signal: AbortSignal;
  attempts?: number;
  onRetry?: (reason: string) => void;
  onStep?: (step: string) => void;
  onWarning?: (warning: string) => void;
  questionPause?: Pause;
  /** Times the waits while the host is busy with another task on the VM; default real timers. */
  scheduler?: Scheduler;
  /** A call the host refused as busy is tried again after a wait: which, why, when. */
  onHostBusy?: (wait: HostBusyWait) => void;
}

/** `vim-cmd solo/registervm`, which prints the vmid. Its answer lost: a VM registered from our `.vmx` is the one. */
export async function registerRestoredVm(request: RegistrationContext, plan: HostRestorePlan, notOurs: Set<string>): Promise<string> {
  const { session, signal } = request;
  const source = `vim-cmd solo/registervm of ${JSON.stringify(plan.vmxPath)}`;
  const register = (): Promise<string> => runCheckedStep({
    what: source,
    run: async () =>
      (
        await runVimCmd(session, sh`vim-cmd solo/registervm ${plan.vmxPath}`, source, { signal, retryOnConnectionLost: false }).catch((error: unknown) => {
          if (!(error instanceof VimFaultError) || error.fault.name !== "AlreadyExists") throw error;
          const stranger = alreadyRegisteredVmid(error);
          if (stranger !== "") notOurs.add(stranger);
          throw alreadyRegisteredError(stranger, plan, error);
        })
      ).stdout.trim(),
    afterLoss: async () => {
      const ours = (await registeredVms(session, signal)).find((vm) => vm.file === plan.vmxDatastorePath && !notOurs.has(vm.vmid));
      return ours === undefined ? undefined : { done: ours.vmid };
    },
    ...retryOptionsOf(request),
  });
  // Refused as busy, registervm did nothing: run again as it was. An abort ends the wait.
  const vmid = await retryWhileHostBusy(register, (error, failedTries) => waitIfHostBusy(error, "register", failedTries, request, signal));
  if (/^\d+$/u.test(vmid)) return vmid;
  // Not a bare vmid (ESX 4.x printed nothing on success, VCL l.1488): the inventory says whether it registered.
  const ours = (await registeredVms(session, signal)).find((vm) => vm.file === plan.vmxDatastorePath && !notOurs.has(vm.vmid));
  if (ours === undefined) throw new EsxbackupError("unexpected_output", `vim-cmd solo/registervm printed ${JSON.stringify(vmid)}, not a vmid, and no VM is registered from ${plan.vmxDatastorePath}`);
  request.onStep?.(`vim-cmd solo/registervm printed ${JSON.stringify(vmid)}, not a vmid; the VM registered from ${plan.vmxDatastorePath} is vmid ${ours.vmid}`);
  return ours.vmid;
}

/** The vmid `vim.fault.AlreadyExists` names (`name = "51"`, or `'51'` in its words); "" when it names none. */
function alreadyRegisteredVmid(error: VimFaultError): string {
  const named = error.fault.fields["name"];
  return named?.kind === "string" ? named.value : (/'(\d+)'/u.exec(error.fault.message ?? "")?.[1] ?? "");
}

/**
 * A VM is registered from our `.vmx` path already: registervm's `vim.fault.AlreadyExists`, or a VM listed
 * with that path before we registered. The folder was ours from its `mkdir`, so that VM's files had been
 * removed without unregistering it (the host holds such a VM as invalid; VCL unregisters "Skipping invalid
 * VM" entries before it registers again). It is not ours to unregister: the error names it and how to go on.
 */
export function alreadyRegisteredError(vmid: string, plan: HostRestorePlan, fault?: VimFaultError): EsxbackupError {
  const which = vmid === "" ? "a VM" : `VM ${vmid}`;
  const unregister = vmid === "" ? "unregister it" : `unregister it (\`vim-cmd vmsvc/unregister ${vmid}\`, or in the Host Client)`;
  return new EsxbackupError(
    "vm_already_registered",
    `${fault === undefined ? "" : `${fault.message}: `}${which} is registered from ${plan.vmxDatastorePath} already, left in the inventory when its files were removed (the host lists it as invalid); ${unregister}, then run the same command`,
    fault === undefined ? undefined : { cause: fault },
  );
}

/**
 * `vim-cmd vmsvc/power.on` (power-on-vm.ts): a question the VM asks is answered only when it is the safe
 * "moved or copied" one, else the power-on fails quoting it. Its answer lost: a VM that is on now was powered on.
 */
export async function powerOnRestoredVm(request: RegistrationContext, vmid: string): Promise<void> {
  const { session, signal } = request;
  let checkFailed = false;
  const powerOn = (): Promise<void> =>
    runCheckedStep({
      what: `vim-cmd vmsvc/power.on of VM ${vmid}`,
      run: () =>
        powerOnVm(session, vmid, {
          signal,
          ...(request.questionPause === undefined ? {} : { pause: request.questionPause }),
          onAnswered: (question, choice) => request.onWarning?.(`the VM asked at power-on ${JSON.stringify(question.text)}; answered "${choiceWords(choice)}"`),
          onQuestionCheckFailed: (problem) => {
            // Once per restore, not once per try: the looks come every 2 s.
            if (!checkFailed) request.onWarning?.(`whether VM ${vmid} asks a question at power-on could not be checked (${problem}); waiting for power.on's own answer (a question would hold it until its timeout)`);
            checkFailed = true;
          },
        }),
      afterLoss: async () => ((await readVmPowerState(session, vmid)) === "poweredOn" ? { done: undefined } : undefined),
      ...retryOptionsOf(request),
    });
  await retryWhileHostBusy(
    async (tryNumber) => {
      // After a wait: the task that held the VM may have been a power-on (from the Host Client), and a VM on
      // now is not started again.
      if (tryNumber > 1 && (await readVmPowerState(session, vmid, { signal })) === "poweredOn") {
        request.onStep?.(`VM ${vmid} is powered on: the task that held it started it`);
        return;
      }
      await powerOn();
    },
    (error, failedTries) => waitIfHostBusy(error, "power-on", failedTries, request, signal),
  );
}

/**
 * Unregisters a VM registered from this restore's `.vmx` (the answer of registervm may have been lost), never
 * one of `notOurs` (registered from that path by someone else). Not cancellable: it runs after an abort. Returns what could not be done, in words, or undefined.
 */
export async function unregisterOurs(session: RegistrationSession, plan: HostRestorePlan, step: (text: string) => void, notOurs: ReadonlySet<string>, failure: string, waiting: HostBusyWaiting = {}): Promise<string | undefined> {
  try {
    const unregistered = new Set<string>();
    let busyRefusals = 0;
    for (;;) {
      const vm = (await registeredVms(session, undefined)).find((listed) => listed.file === plan.vmxDatastorePath && !notOurs.has(listed.vmid) && !unregistered.has(listed.vmid));
      if (vm === undefined) return undefined;
      try {
        await runVimCmd(session, sh`vim-cmd vmsvc/unregister ${vm.vmid}`, `vim-cmd vmsvc/unregister of VM ${vm.vmid}`, { retryOnConnectionLost: false });
      } catch (error) {
        // Refused as busy: waited out, even after an abort, then the inventory is read again (the other task
        // may have unregistered it meanwhile).
        if (!(await waitIfHostBusy(error, "unregister", ++busyRefusals, waiting, undefined))) throw error;
        continue;
      }
      unregistered.add(vm.vmid);
      step(`unregistered vmid ${vm.vmid}`);
    }
  } catch (error) {
    return `the restore's folder ${plan.folderPath} is left, and a VM registered from ${plan.vmxDatastorePath} could not be looked for or unregistered ${cleanupReason(error, failure)}; unregister it if there is one, and remove the folder`;
  }
}

/** When `error` is vim-cmd's `vim.fault.TaskInProgress` and host-busy-retry.ts says to wait: says so, waits, true (try again). */
function waitIfHostBusy(error: unknown, operation: BusyRetriedOperation, failedTries: number, waiting: HostBusyWaiting, signal: AbortSignal | undefined): Promise<boolean> {
  if (!(error instanceof VimFaultError)) return Promise.resolve(false);
  return waitOutHostBusy(operation, error.fault, failedTries, `${error.fault.type}: ${error.fault.message ?? "(no message)"}`, waiting, signal);
}

/** Why a clean-up step failed, in brackets; "for the same reason" when it is the restore's own failure again (a refused login). */
export function cleanupReason(error: unknown, failure: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message === failure ? "(for the same reason)" : `(${message})`;
}

export async function registeredVms(session: RegistrationSession, signal: AbortSignal | undefined): Promise<{ vmid: string; name: string; file: string }[]> {
  const listing = await listHostVms(session, signal === undefined ? {} : { signal });
  return listing.vms.map((vm) => ({ vmid: vm.vmid, name: vm.name, file: vm.file }));
}
