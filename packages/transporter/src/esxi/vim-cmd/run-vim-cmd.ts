/**
 * Runs one read-only vim-cmd call and returns what it printed, once it is known not to be a fault. vim-cmd
 * prints a fault on stdout and its exit status after one is not confirmed (esxi-facts 1.0), so the output is
 * checked with `parseFault` first, whatever the status; a non-zero status without a fault is a failed
 * command. Reads may run twice, so they are retried after a dropped connection.
 */
import { parseFault } from "../parsers/parse-fault.js";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession, ExecResult } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { VimFaultError } from "./vim-fault-error.js";

export interface VimCmdOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** `source` names the call in errors: the command and what it was about (`… of VM 3 "web01"`). */
export async function runVimCmd(session: Pick<EsxiSshSession, "exec" | "label">, command: ShellCommand, source: string, options: { signal?: AbortSignal } = {}): Promise<VimCmdOutput> {
  const result: ExecResult = await session.exec(command, { check: false, retryOnConnectionLost: true, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  const stdout = result.stdout.toString("utf8");
  const stderr = result.stderr.toString("utf8");
  const fault = parseFault(stdout, source);
  if (fault !== undefined) throw new VimFaultError(source, fault);
  if (result.exitCode !== 0) throw new SshCommandFailedError(session.label, command.text, { exitCode: result.exitCode, signal: result.signal, stderr });
  return { stdout, stderr };
}
