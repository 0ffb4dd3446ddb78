/**
 * `vim-cmd vmsvc/power.on VMID`, believed only when the host says it worked. Success prints the header
 * `Powering on VM:` alone. A refusal may come as a fault (found by `runVimCmd`, also when it opens on a
 * `Power on failed: (vim.fault.…) {` line as a 9.0 host printed it), but ESXi 6.0/6.5 print a bare
 * `Power on failed` under the header instead (esxi-facts 1.2, from VCL's VIM_SSH.pm), and vim-cmd's exit
 * status after a refusal is not known to be non-zero (esxi-facts 1.0): so the output is read for that line.
 * VCL also notes that the command "will occasionally incorrectly report that it failed but the VM is
 * actually powered on", so a printed failure is checked against the VM's power state before it is believed.
 */
import { EsxbackupError } from "@esxbackup/domain";
import { outputLines } from "../parsers/output-lines.js";
import { parsePowerState, type VmPowerState } from "../parsers/parse-power-state.js";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { runVimCmd } from "./run-vim-cmd.js";

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

/**
 * Powers the VM on; throws when the host refused. Never run again by itself after a lost connection: the
 * caller asks the power state first.
 */
export async function powerOnVm(session: VimCmdSession, vmid: string | number, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const source = `vim-cmd vmsvc/power.on of VM ${vmid}`;
  let stdout: string;
  try {
    stdout = (await runVimCmd(session, sh`vim-cmd vmsvc/power.on ${vmid}`, source, { signal: options.signal, retryOnConnectionLost: false })).stdout;
  } catch (error) {
    // A non-zero exit without a fault is a printed failure too, and believed only as far as a printed one.
    if (!(error instanceof SshCommandFailedError) || (await readVmPowerState(session, vmid, options)) !== "poweredOn") throw error;
    return;
  }
  const failure = powerOnFailureLine(stdout);
  if (failure === undefined) return;
  const state = await readVmPowerState(session, vmid, options);
  if (state === "poweredOn") return;
  throw new EsxbackupError("power_on_failed", `${source}: the host printed ${JSON.stringify(failure)}, and the VM is ${state === "poweredOff" ? "powered off" : "suspended"}`);
}
