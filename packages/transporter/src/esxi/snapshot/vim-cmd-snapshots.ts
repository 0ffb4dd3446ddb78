/**
 * The snapshot commands of `vim-cmd` over an SSH session, as a thin adapter: each builds its command from
 * quoted arguments, checks the output for a fault first (vim-cmd prints faults on stdout and its exit status
 * cannot be relied on, esxi-facts 1.10) and parses the rest with the pure parsers. Reads may run twice after
 * a dropped connection; `create` and `remove` never do (their callers check the tree instead).
 */
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh, type ShellCommand } from "../ssh/shell-command.js";
import { outputLines } from "../parsers/output-lines.js";
import { parsePowerState, type VmPowerState } from "../parsers/parse-power-state.js";
import { parseSnapshotTree, type SnapshotTree } from "../parsers/parse-snapshot-tree.js";
import { runVimCmd } from "../vim-cmd/run-vim-cmd.js";
import { VimFaultError } from "../vim-cmd/vim-fault-error.js";
import { flattenSnapshotTree } from "./classify-snapshots.js";
import { SnapshotOperationError, type SnapshotOperation, type SnapshotVm } from "./run-snapshot-errors.js";

export type SnapshotSession = Pick<EsxiSshSession, "exec">;

export interface SnapshotCommandOptions {
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A generous default: consolidation runs inside `snapshot.remove`, and a big delta takes minutes. */
const SNAPSHOT_COMMAND_TIMEOUT_MS = 30 * 60_000;
const READ_TIMEOUT_MS = 60_000;

/** One snapshot vim-cmd call through the shared `runVimCmd`, its failures told as this VM's snapshot operation. */
async function runSnapshotVimCmd(session: SnapshotSession, vm: SnapshotVm, operation: SnapshotOperation | "power", command: ShellCommand, options: { timeoutMs: number; retry: boolean; signal: AbortSignal | undefined }): Promise<string> {
  const what = `\`${command.text}\``;
  const op: SnapshotOperation = operation === "power" ? "get" : operation;
  try {
    const output = await runVimCmd(session, command, `vim-cmd ${operation}`, { timeoutMs: options.timeoutMs, retryOnConnectionLost: options.retry, signal: options.signal });
    return output.stdout;
  } catch (error) {
    if (error instanceof VimFaultError) throw new SnapshotOperationError(vm, op, what, { fault: error.fault });
    if (error instanceof SshCommandFailedError) {
      const stderr = error.stderr.trim();
      const status = error.exitCode === null ? `signal ${error.signal ?? "unknown"}` : `exit code ${error.exitCode}`;
      throw new SnapshotOperationError(vm, op, what, { problem: `${status}${stderr === "" ? "" : `: ${stderr}`}`, cause: error });
    }
    throw error;
  }
}

export async function readSnapshotTree(session: SnapshotSession, vm: SnapshotVm, options: SnapshotCommandOptions = {}): Promise<SnapshotTree> {
  const text = await runSnapshotVimCmd(session, vm, "get", sh`vim-cmd vmsvc/snapshot.get ${vm.vmid}`, { retry: true, timeoutMs: options.timeoutMs ?? READ_TIMEOUT_MS, signal: options.signal });
  return parseSnapshotTree(text);
}

export async function readPowerState(session: SnapshotSession, vm: SnapshotVm, options: SnapshotCommandOptions = {}): Promise<VmPowerState> {
  const text = await runSnapshotVimCmd(session, vm, "power", sh`vim-cmd vmsvc/power.getstate ${vm.vmid}`, { retry: true, timeoutMs: options.timeoutMs ?? READ_TIMEOUT_MS, signal: options.signal });
  return parsePowerState(text);
}

export interface CreateSnapshotRequest {
  readonly name: string;
  readonly description: string;
  readonly quiesce: boolean;
}

/**
 * The lines `snapshot.create` printed besides its `Create Snapshot:` header (esxi-facts 1.3): none when it
 * worked. A host may say in plain text that it took no snapshot, with no fault and no exit status to tell:
 * VCL's VIM_SSH.pm warns that the output "may contain failed" and quotes "Snapshot not taken since the state
 * of the virtual machine has not changed since the last snapshot operation." (as `power.on` prints `Power on
 * failed`, 1.2). The caller believes the tree it reads next, and quotes these lines when the tree disagrees.
 */
export function snapshotCreateRemarks(stdout: string): string[] {
  return outputLines(stdout, "vim-cmd vmsvc/snapshot.create")
    .map((line) => line.text.trim())
    .filter((line) => line !== "" && line !== "Create Snapshot:");
}

/** `snapshot.create VMID NAME DESCRIPTION 0 QUIESCE`: never a memory image. Returns `snapshotCreateRemarks`. */
export async function createSnapshot(session: SnapshotSession, vm: SnapshotVm, request: CreateSnapshotRequest, options: SnapshotCommandOptions = {}): Promise<string[]> {
  const command = sh`vim-cmd vmsvc/snapshot.create ${vm.vmid} ${request.name} ${request.description} 0 ${request.quiesce ? 1 : 0}`;
  return snapshotCreateRemarks(await runSnapshotVimCmd(session, vm, "create", command, { retry: false, timeoutMs: options.timeoutMs ?? SNAPSHOT_COMMAND_TIMEOUT_MS, signal: options.signal }));
}

/**
 * `snapshot.remove VMID ID false`: that snapshot only — `false` is removeChildren, said explicitly so that a
 * snapshot the user took on top of ours during the run is kept. Returns the tree the host printed after it.
 *
 * A removal the host refused is not always a fault: vim-cmd's exit status after a refusal is not known
 * (esxi-facts 1.0), and older releases report failed operations with a line of text instead (`Power on
 * failed`, 1.2). The tree the host prints after the removal is the VM's remaining tree (esxi-facts 0), so a
 * tree that still holds the snapshot is the host saying it was not removed, whatever the exit status.
 */
export async function removeSnapshot(session: SnapshotSession, vm: SnapshotVm, id: number, options: SnapshotCommandOptions = {}): Promise<SnapshotTree> {
  const command = sh`vim-cmd vmsvc/snapshot.remove ${vm.vmid} ${id} false`;
  const text = await runSnapshotVimCmd(session, vm, "remove", command, { retry: false, timeoutMs: options.timeoutMs ?? SNAPSHOT_COMMAND_TIMEOUT_MS, signal: options.signal });
  const remaining = parseSnapshotTree(text, "vim-cmd vmsvc/snapshot.remove");
  if (flattenSnapshotTree(remaining).some((s) => s.id === id)) {
    throw new SnapshotOperationError(vm, "remove", `\`${command.text}\``, { problem: `the host printed the VM's snapshot tree after it with snapshot ${id} still in it` });
  }
  return remaining;
}
