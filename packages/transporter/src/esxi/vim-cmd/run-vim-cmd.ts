/**
 * Runs one read-only vim-cmd call and returns what it printed, once it is known not to be a fault. vim-cmd
 * prints a fault on stdout and its exit status after one is not confirmed (esxi-facts 1.0), so the output is
 * checked with `parseFault` first, whatever the status; a non-zero status without a fault is a failed
 * command, unless vim-cmd said it could not reach hostd (`HostdUnreachableError`, retryable). Reads may run
 * twice, so by default they are retried after a dropped connection; a call that changes the host
 * (snapshot.create/remove) says `retryOnConnectionLost: false` and checks the outcome itself.
 */
import { parseFault } from "../parsers/parse-fault.js";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession, ExecOptions, ExecResult } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { HostdUnreachableError } from "./hostd-unreachable-error.js";
import { VimFaultError } from "./vim-fault-error.js";

/**
 * vim-cmd's words when it cannot reach hostd. VCL's VIM_SSH.pm (apache/vcl) retries vim-cmd on "Failed to
 * login: Connection reset by peer" and "Failed to login: SSL Exception: The SSL handshake timed out …", and
 * says that when hostd's PID file is stale "Most often, vim-cmd commands fail with an error such as: Connect
 * to localhost failed: Connection failure".
 */
const HOSTD_UNREACHABLE = /^\s*(?:Connect to localhost failed|Failed to login)\b.*$/mu;

export interface VimCmdOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export interface VimCmdOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  /** Default true: only for calls that may run twice. */
  readonly retryOnConnectionLost?: boolean;
}

/** `source` names the call in errors: the command and what it was about (`… of VM 3 "web01"`). */
export async function runVimCmd(session: Pick<EsxiSshSession, "exec"> & Partial<Pick<EsxiSshSession, "label">>, command: ShellCommand, source: string, options: VimCmdOptions = {}): Promise<VimCmdOutput> {
  const exec: ExecOptions = { check: false, retryOnConnectionLost: options.retryOnConnectionLost ?? true };
  if (options.signal !== undefined) exec.signal = options.signal;
  if (options.timeoutMs !== undefined) exec.timeoutMs = options.timeoutMs;
  const result: ExecResult = await session.exec(command, exec);
  const stdout = result.stdout.toString("utf8");
  const stderr = result.stderr.toString("utf8");
  const fault = parseFault(stdout, source);
  if (fault !== undefined) throw new VimFaultError(source, fault);
  // On stderr it is believed whatever the status; on stdout only with a failed status, where it cannot be a
  // VM's name or annotation that happens to start with those words.
  const unreachable = HOSTD_UNREACHABLE.exec(stderr) ?? (result.exitCode !== 0 ? HOSTD_UNREACHABLE.exec(stdout) : null);
  if (unreachable !== null) throw new HostdUnreachableError(session.label ?? "host", source, unreachable[0].trim());
  // vim-cmd says what went wrong on stdout (`Power on failed`): the error quotes it when stderr is empty.
  if (result.exitCode !== 0) throw new SshCommandFailedError(session.label ?? "host", command.text, { exitCode: result.exitCode, signal: result.signal, stderr, stdout });
  return { stdout, stderr };
}
