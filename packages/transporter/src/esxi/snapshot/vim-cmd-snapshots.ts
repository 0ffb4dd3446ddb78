/**
 * The snapshot commands of `vim-cmd` over an SSH session, as a thin adapter: each builds its command from
 * quoted arguments, checks the output for a fault first (vim-cmd prints faults on stdout and its exit status
 * cannot be relied on, esxi-facts 1.10) and parses the rest with the pure parsers. Reads may run twice after
 * a dropped connection; `create` and `remove` never do (their callers check the tree instead).
 */
import type { ExecOptions, EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh, type ShellCommand } from "../ssh/shell-command.js";
import { parseFault } from "../parsers/parse-fault.js";
import { parsePowerState, type VmPowerState } from "../parsers/parse-power-state.js";
import { parseSnapshotTree, type SnapshotTree } from "../parsers/parse-snapshot-tree.js";
import { SnapshotOperationError, type SnapshotOperation, type SnapshotVm } from "./run-snapshot-errors.js";

export type SnapshotSession = Pick<EsxiSshSession, "exec">;

export interface SnapshotCommandOptions {
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A generous default: consolidation runs inside `snapshot.remove`, and a big delta takes minutes. */
const SNAPSHOT_COMMAND_TIMEOUT_MS = 30 * 60_000;
const READ_TIMEOUT_MS = 60_000;

async function runVimCmd(session: SnapshotSession, vm: SnapshotVm, operation: SnapshotOperation | "power", command: ShellCommand, options: { timeoutMs: number; retry: boolean; signal: AbortSignal | undefined }): Promise<string> {
  const exec: ExecOptions = { check: false, timeoutMs: options.timeoutMs, retryOnConnectionLost: options.retry };
  if (options.signal !== undefined) exec.signal = options.signal;
  const result = await session.exec(command, exec);
  const stdout = result.stdout.toString("utf8");
  const what = `\`${command.text}\``;
  const op: SnapshotOperation = operation === "power" ? "get" : operation;
  const fault = parseFault(stdout, `vim-cmd ${operation}`);
  if (fault !== undefined) throw new SnapshotOperationError(vm, op, what, { fault });
  if (result.exitCode !== 0) {
    const stderr = result.stderr.toString("utf8").trim();
    const status = result.exitCode === null ? `signal ${result.signal ?? "unknown"}` : `exit code ${result.exitCode}`;
    throw new SnapshotOperationError(vm, op, what, { problem: `${status}${stderr === "" ? "" : `: ${stderr}`}${stdout.trim() === "" ? "" : ` (stdout: ${stdout.trim().slice(0, 300)})`}` });
  }
  return stdout;
}

export async function readSnapshotTree(session: SnapshotSession, vm: SnapshotVm, options: SnapshotCommandOptions = {}): Promise<SnapshotTree> {
  const text = await runVimCmd(session, vm, "get", sh`vim-cmd vmsvc/snapshot.get ${vm.vmid}`, { retry: true, timeoutMs: options.timeoutMs ?? READ_TIMEOUT_MS, signal: options.signal });
  return parseSnapshotTree(text);
}

export async function readPowerState(session: SnapshotSession, vm: SnapshotVm, options: SnapshotCommandOptions = {}): Promise<VmPowerState> {
  const text = await runVimCmd(session, vm, "power", sh`vim-cmd vmsvc/power.getstate ${vm.vmid}`, { retry: true, timeoutMs: options.timeoutMs ?? READ_TIMEOUT_MS, signal: options.signal });
  return parsePowerState(text);
}

export interface CreateSnapshotRequest {
  readonly name: string;
  readonly description: string;
  readonly quiesce: boolean;
}

/** `snapshot.create VMID NAME DESCRIPTION 0 QUIESCE`: never a memory image. Prints only `Create Snapshot:`. */
export async function createSnapshot(session: SnapshotSession, vm: SnapshotVm, request: CreateSnapshotRequest, options: SnapshotCommandOptions = {}): Promise<void> {
  const command = sh`vim-cmd vmsvc/snapshot.create ${vm.vmid} ${request.name} ${request.description} 0 ${request.quiesce ? 1 : 0}`;
  await runVimCmd(session, vm, "create", command, { retry: false, timeoutMs: options.timeoutMs ?? SNAPSHOT_COMMAND_TIMEOUT_MS, signal: options.signal });
}

/**
 * `snapshot.remove VMID ID false`: that snapshot only — `false` is removeChildren, said explicitly so that a
 * snapshot the user took on top of ours during the run is kept. Returns the tree the host printed after it.
 */
export async function removeSnapshot(session: SnapshotSession, vm: SnapshotVm, id: number, options: SnapshotCommandOptions = {}): Promise<SnapshotTree> {
  const text = await runVimCmd(session, vm, "remove", sh`vim-cmd vmsvc/snapshot.remove ${vm.vmid} ${id} false`, { retry: false, timeoutMs: options.timeoutMs ?? SNAPSHOT_COMMAND_TIMEOUT_MS, signal: options.signal });
  return parseSnapshotTree(text, "vim-cmd vmsvc/snapshot.remove");
}
