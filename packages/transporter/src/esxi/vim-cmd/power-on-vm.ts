/**
 * `vim-cmd vmsvc/power.on VMID`, believed only when the host says it worked. Success prints the header
 * `Powering on VM:` alone. A refusal may come as a fault (found by `runVimCmd`, also when it opens on a
 * `Power on failed: (vim.fault.…) {` line as a 9.0 host printed it), but ESXi 6.0/6.5 print a bare
 * `Power on failed` under the header instead (esxi-facts 1.2, from VCL's VIM_SSH.pm), and vim-cmd's exit
 * status after a refusal is not known to be non-zero (esxi-facts 1.0): so the output is read for that line.
 * VCL also notes that the command "will occasionally incorrectly report that it failed but the VM is
 * actually powered on", so a printed failure is checked against the VM's power state before it is believed.
 */
import { EsxbackupError, timerScheduler, waitFor } from "@esxbackup/domain";
import { HostOutputError } from "../parsers/host-output-error.js";
import { outputLines } from "../parsers/output-lines.js";
import { parsePowerState, type VmPowerState } from "../parsers/parse-power-state.js";
import { SshCommandFailedError, SshCommandTimeoutError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { HostdUnreachableError } from "./hostd-unreachable-error.js";
import { runVimCmd } from "./run-vim-cmd.js";
import { VimFaultError } from "./vim-fault-error.js";
import { answerVmQuestion, readVmQuestion, safeAnswer, type VmQuestion, type VmQuestionChoice } from "./vm-question.js";
import { VmQuestionPendingError } from "./vm-question-pending-error.js";

type VimCmdSession = Pick<EsxiSshSession, "exec"> & Partial<Pick<EsxiSshSession, "label">>;

/** The line of `power.on`'s output that reports a failure (`Power on failed`), or undefined when none does. */
export function powerOnFailureLine(stdout: string): string | undefined {
  return outputLines(stdout, "vim-cmd vmsvc/power.on")
    .map((line) => line.text.trim())
    .find((line) => /\bfailed\b/iu.test(line));
}

/** The VM's power state, from `vim-cmd vmsvc/power.getstate` (a read: run again after a lost connection). */
export async function readVmPowerState(session: VimCmdSession, vmid: string | number, options: { signal?: AbortSignal | undefined } = {}): Promise<VmPowerState> {
  const source = `vim-cmd vmsvc/power.getstate ${vmid}`;
  return parsePowerState((await runVimCmd(session, sh`vim-cmd vmsvc/power.getstate ${vmid}`, source, { signal: options.signal })).stdout, source);
}

/** How often the VM is asked for a pending question while `power.on` has not returned. */
export const QUESTION_POLL_MS = 2_000;

/** Waits `ms`, or less when `signal` aborts (it resolves then too). The one timer of a power-on. */
export type Pause = (ms: number, signal: AbortSignal) => Promise<void>;

export interface PowerOnOptions {
  signal?: AbortSignal | undefined;
  /** Default a real timer; tests pass one that resolves when they say. */
  pause?: Pause;
  questionPollMs?: number;
  /** A question answered without the user (`safeAnswer`: "I copied it" to "moved or copied"), for the log. */
  onAnswered?: (question: VmQuestion, choice: VmQuestionChoice) => void;
  /**
   * A look for a question could not be read or failed (`problem`, in words): told once per power-on, which
   * goes on waiting for power.on's own answer.
   */
  onQuestionCheckFailed?: (problem: string) => void;
}

type PowerOnOutcome = { kind: "returned"; stdout: string } | { kind: "failed"; error: unknown };

/**
 * Powers the VM on; throws when the host refused. Never run again by itself after a lost connection: the
 * caller asks the power state first.
 *
 * While `power.on` has not returned, the VM is asked every `questionPollMs` whether it waits on a question
 * (vm-question.ts): a real host's power.on does not return until it is answered. The safe answer is given
 * (`safeAnswer`, once per question); any other question ends the wait with a `VmQuestionPendingError`
 * quoting it — the command is stopped, the host's power-on task stays, waiting for the user's answer.
 *
 * A look that fails — output that is not `No message.` nor a question, a fault, a failed command, vim-cmd
 * not reaching hostd, no result in time — says nothing about the power-on, which the host may well finish by
 * itself: it is told once (`onQuestionCheckFailed`) and the wait goes on, for power.on's own answer or the
 * next look. A question the looks miss holds power.on until its command timeout, as before there were
 * looks. A lost connection (or an abort) is not a failed look: it ends the power-on as it ends power.on
 * itself, and the caller asks the power state (restored-vm-registration.ts).
 */
export async function powerOnVm(session: VimCmdSession, vmid: string | number, options: PowerOnOptions = {}): Promise<void> {
  const source = `vim-cmd vmsvc/power.on of VM ${vmid}`;
  const stop = new AbortController();
  const stopWithCaller = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", stopWithCaller, { once: true });
  const pause = options.pause ?? realPause;
  const answered = new Set<string>();
  let checkFailed = false;
  const lookForQuestion = (): Promise<VmQuestion | undefined> =>
    readVmQuestion(session, vmid, options).catch((error: unknown) => {
      if (!isFailedQuestionCheck(error) || options.signal?.aborted === true) throw error;
      if (!checkFailed) options.onQuestionCheckFailed?.(error.message);
      checkFailed = true;
      return undefined;
    });
  try {
    const running: Promise<PowerOnOutcome> = runVimCmd(session, sh`vim-cmd vmsvc/power.on ${vmid}`, source, { signal: stop.signal, retryOnConnectionLost: false }).then(
      ({ stdout }) => ({ kind: "returned", stdout }),
      (error: unknown) => ({ kind: "failed", error }),
    );
    for (;;) {
      const outcome = await Promise.race([running, pause(options.questionPollMs ?? QUESTION_POLL_MS, stop.signal).then(() => undefined)]);
      if (outcome !== undefined) return await judgePowerOn(session, vmid, source, outcome, options);
      options.signal?.throwIfAborted();
      const question = await lookForQuestion();
      if (question === undefined) continue;
      const answer = safeAnswer(question);
      const key = `${question.id}\n${question.text}`;
      if (answer === undefined || answered.has(key)) throw new VmQuestionPendingError(String(vmid), question);
      answered.add(key);
      await answerVmQuestion(session, vmid, question.id, answer.number, options);
      options.onAnswered?.(question, answer);
    }
  } finally {
    options.signal?.removeEventListener("abort", stopWithCaller);
    // A power.on still running is left to the host (its task waits on the question); our command is stopped.
    stop.abort();
  }
}

/** A look for a question that failed on its own, not with the connection: what `onQuestionCheckFailed` is told of. */
function isFailedQuestionCheck(error: unknown): error is Error {
  return error instanceof HostOutputError || error instanceof VimFaultError || error instanceof SshCommandFailedError || error instanceof HostdUnreachableError || error instanceof SshCommandTimeoutError;
}

/** What `power.on` returned, believed as far as the module's doc says. */
async function judgePowerOn(session: VimCmdSession, vmid: string | number, source: string, outcome: PowerOnOutcome, options: PowerOnOptions): Promise<void> {
  if (outcome.kind === "failed") {
    // A non-zero exit without a fault is a printed failure too, and believed only as far as a printed one.
    if (!(outcome.error instanceof SshCommandFailedError) || (await readVmPowerState(session, vmid, options)) !== "poweredOn") throw outcome.error;
    return;
  }
  const failure = powerOnFailureLine(outcome.stdout);
  if (failure === undefined) return;
  const state = await readVmPowerState(session, vmid, options);
  if (state === "poweredOn") return;
  throw new EsxbackupError("power_on_failed", `${source}: the host printed ${JSON.stringify(failure)}, and the VM is ${state === "poweredOff" ? "powered off" : "suspended"}`);
}

/** The shared timer wait, ended early (and resolved, not rejected) when `signal` aborts. */
function realPause(ms: number, signal: AbortSignal): Promise<void> {
  return waitFor(timerScheduler, ms, signal).catch(() => undefined);
}
