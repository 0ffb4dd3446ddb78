/**
 * Restores a recovery point to an ESXi host as a new VM beside the original (docs/adr/0025):
 *
 *   plan (pure) → refuse what exists or does not fit → mkdir the folder → per disk `vmkfstools -c SIZE -d
 *   thin`, then only its non-zero chunks written over N channels → `.nvram`, `.vmsd`, `.vmx` →
 *   `vim-cmd solo/registervm` → optionally `power.on`.
 *
 * Nothing is written before every check passed. The folder is created with a plain `mkdir`, which fails
 * if it appeared meanwhile, so everything under it is this restore's own. On an error or an abort before
 * the VM is registered, exactly what this restore created is removed: a VM registered from its `.vmx`
 * (found by path, so a lost answer of registervm is covered) is unregistered, then the folder is deleted.
 * Nothing else on the host is ever touched. A restore killed outright leaves at most the folder,
 * unregistered; the next restore to that name refuses and names it.
 *
 * A failed power-on leaves the VM restored and registered (it is whole) and says so.
 *
 * A dropped connection does not end the restore (docs/adr/0027): the session reconnects; disk writes the
 * host had not acknowledged are sent again; the small files are written again (an overwrite in our own
 * folder); `mkdir`, `vmkfstools -c`, registervm and power.on, whose answer may be lost after they took
 * effect, are checked on the host before they are run again. Each is tried `attempts` times, reported
 * through `onRetry`; then the restore fails and is undone as above.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { Clock, PointId } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { parseGetAllVms } from "../esxi/parsers/parse-get-all-vms.js";
import { parsePowerState } from "../esxi/parsers/parse-power-state.js";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";
import { runVimCmd } from "../esxi/vim-cmd/run-vim-cmd.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";
import { retryableSshError, runCheckedStep } from "./lost-connection-retry.js";
import { checkHostRestoreTarget, planHostRestore } from "./plan-host-restore.js";
import type { HostRestoreDisk, HostRestorePlan } from "./plan-host-restore.js";
import { diskRuns, restoreRunBytes, writeDiskRuns } from "./write-disk-runs.js";

export type HostRestoreSession = Pick<EsxiSshSession, "exec" | "execStream" | "label">;

export interface RestoreToHostRequest {
  session: HostRestoreSession;
  repository: Repository;
  pointId: PointId;
  name: string;
  datastore?: string;
  powerOn: boolean;
  /** SSH channels writing at once (default 4). */
  channels?: number;
  /** How data is written; default Python when the host has Python 3, else dd. */
  method?: FlatWriteMethod;
  signal: AbortSignal;
  clock: Clock;
  /** One `restore` task per disk: bytes of its data sent and written, its zero chunks skipped. */
  progress: ProgressReporter;
  /** Steps as they happen, for the log. */
  onStep?: (step: string) => void;
  /** Tries per step and per written run when the connection keeps dropping (default 3). */
  attempts?: number;
  /** Something is tried again after a lost connection: what, and why. */
  onRetry?: (reason: string) => void;
}

export interface RestoreToHostResult {
  vmid: string;
  name: string;
  datastore: string;
  folderPath: string;
  vmxPath: string;
  method: FlatWriteMethod["kind"];
  disks: { index: number; slot: string; path: string; sizeBytes: number; bytesWritten: number }[];
  detachedSlots: string[];
  bytesWritten: number;
  seconds: number;
  poweredOn: boolean;
}

export const DEFAULT_RESTORE_CHANNELS = 4;

/** The restore failed after writing began; `leftBehind` says what remains on the host (nothing, normally). */
export class HostRestoreFailedError extends EsxbackupError {
  readonly leftBehind: string | undefined;
  constructor(message: string, leftBehind: string | undefined, options?: { cause?: unknown }) {
    super("host_restore_failed", leftBehind === undefined ? message : `${message}; ${leftBehind}`, options);
    this.leftBehind = leftBehind;
  }
}

/** The VM was restored and registered, but would not power on. */
export class PowerOnFailedError extends EsxbackupError {
  readonly vmid: string;
  constructor(name: string, vmid: string, cause: unknown) {
    super("power_on_failed", `VM ${JSON.stringify(name)} was restored and registered as vmid ${vmid}, but did not power on: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.vmid = vmid;
  }
}

export async function restoreToHost(request: RestoreToHostRequest): Promise<RestoreToHostResult> {
  const { session, repository, signal, clock } = request;
  const startedMs = clock.now().getTime();
  const step = (text: string): void => request.onStep?.(text);
  const point = await repository.readPoint(request.pointId);
  const capabilities = await probeHostCapabilities(session);
  const plan = planHostRestore({
    point,
    name: request.name,
    datastore: request.datastore,
    datastores: capabilities.datastores.map((ds) => ds.volumeName).filter((name) => name !== ""),
  });
  const datastore = capabilities.datastores.find((ds) => ds.volumeName === plan.datastore);
  checkHostRestoreTarget(plan, {
    vmNames: await registeredVms(session, signal).then((vms) => vms.map((vm) => vm.name)),
    folderExists: await pathExists(session, plan.folderPath, signal),
    datastoreFreeBytes: datastore?.freeBytes ?? 0,
  });
  const method: FlatWriteMethod = request.method ?? (capabilities.python === undefined ? { kind: "dd" } : { kind: "python", interpreter: capabilities.python.command });
  signal.throwIfAborted();

  // From here on the host changes: the folder is ours once mkdir succeeded.
  await makeFolder(request, plan.folderPath);
  step(`created ${plan.folderPath}`);
  try {
    const written: RestoreToHostResult["disks"] = [];
    for (const disk of plan.disks) {
      await makeDisk(request, disk);
      step(`created ${disk.descriptorPath} (${disk.sizeBytes} bytes, thin)`);
      const task = request.progress.start({ phase: "restore", vm: plan.name, disk: `${disk.slot} ${disk.descriptorName}`, bytesTotal: disk.dataBytes });
      const bytesSkippedZero = disk.sizeBytes - disk.dataBytes;
      let bytesDone = 0;
      try {
        const bytesWritten = await writeDisk(request, disk, method, (bytes) => {
          bytesDone += bytes;
          task.update(bytesDone, { bytesRead: bytesDone, bytesSent: bytesDone, bytesWritten: bytesDone, bytesSkippedZero });
        });
        written.push({ index: disk.index, slot: disk.slot, path: disk.descriptorPath, sizeBytes: disk.sizeBytes, bytesWritten });
      } finally {
        task.stop();
      }
    }
    // An overwrite of a file in our own folder: run again as it is after a lost connection.
    for (const file of plan.files) {
      await session.exec(sh`cat > ${file.path}`, { stdin: file.content, signal, retryOnConnectionLost: true });
    }
    signal.throwIfAborted();
    const vmid = await registerVm(request, plan);
    step(`registered ${plan.vmxDatastorePath} as vmid ${vmid}`);
    const result: RestoreToHostResult = {
      vmid,
      name: plan.name,
      datastore: plan.datastore,
      folderPath: plan.folderPath,
      vmxPath: plan.vmxPath,
      method: method.kind,
      disks: written,
      detachedSlots: plan.detachedSlots,
      bytesWritten: written.reduce((sum, disk) => sum + disk.bytesWritten, 0),
      seconds: (clock.now().getTime() - startedMs) / 1000,
      poweredOn: false,
    };
    if (request.powerOn) {
      try {
        await powerOn(request, vmid);
      } catch (error) {
        throw new PowerOnFailedError(plan.name, vmid, error);
      }
      step(`powered on vmid ${vmid}`);
      result.poweredOn = true;
    }
    return result;
  } catch (error) {
    if (error instanceof PowerOnFailedError) throw error;
    const leftBehind = await removeWhatWasCreated(session, plan, step);
    if (leftBehind === undefined && signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (leftBehind !== undefined) throw new HostRestoreFailedError(message, leftBehind, { cause: error });
    throw new HostRestoreFailedError(`${message}; what the restore had created (${plan.folderPath}) was removed`, undefined, { cause: error });
  }
}

/**
 * `mkdir` (never `-p`: a folder that appeared meanwhile stops the restore). Its answer lost: a folder still
 * absent is made again; one that exists may be ours or someone else's made at the same moment, so it is
 * left alone and named.
 */
async function makeFolder(request: RestoreToHostRequest, folderPath: string): Promise<void> {
  const { session, signal } = request;
  const maybeMade = `the folder may have been made: remove ${folderPath} if it exists, is empty and nothing else uses it, then restore again`;
  await runCheckedStep({
    what: `mkdir ${folderPath}`,
    run: async () => void (await session.exec(sh`mkdir -- ${folderPath}`, { signal })),
    afterLoss: async () => {
      if (!(await pathExists(session, folderPath, signal))) return undefined;
      throw new HostRestoreFailedError(`the connection was lost while ${folderPath} was being made, and it exists now: this restore's, or another's made at the same moment`, maybeMade);
    },
    ...retryOptions(request),
  }).catch((error: unknown) => {
    if (retryableSshError(error) === undefined) throw error;
    throw new HostRestoreFailedError(error instanceof Error ? error.message : String(error), maybeMade, { cause: error });
  });
}

/** `vmkfstools -c`. Its answer lost: the disk may be half made, so its two files (in our folder) are removed and it is made again. */
async function makeDisk(request: RestoreToHostRequest, disk: HostRestoreDisk): Promise<void> {
  const { session, signal } = request;
  await runCheckedStep({
    what: `vmkfstools -c of ${disk.descriptorPath}`,
    run: async () => void (await session.exec(sh`vmkfstools -c ${disk.sizeBytes} -d thin ${disk.descriptorPath}`, { signal })),
    afterLoss: async () => {
      await session.exec(sh`rm -f -- ${disk.descriptorPath} ${disk.flatPath}`, { signal, retryOnConnectionLost: true });
      return undefined;
    },
    ...retryOptions(request),
  });
}

/** `vim-cmd solo/registervm`, which prints the vmid. Its answer lost: a VM registered from our `.vmx` is the one. */
async function registerVm(request: RestoreToHostRequest, plan: HostRestorePlan): Promise<string> {
  const { session, signal } = request;
  const source = `vim-cmd solo/registervm of ${JSON.stringify(plan.vmxPath)}`;
  const vmid = await runCheckedStep({
    what: source,
    run: async () => (await runVimCmd(session, sh`vim-cmd solo/registervm ${plan.vmxPath}`, source, { signal, retryOnConnectionLost: false })).stdout.trim(),
    afterLoss: async () => {
      const ours = (await registeredVms(session, signal)).find((vm) => vm.file === plan.vmxDatastorePath);
      return ours === undefined ? undefined : { done: ours.vmid };
    },
    ...retryOptions(request),
  });
  if (!/^\d+$/u.test(vmid)) throw new EsxbackupError("unexpected_output", `vim-cmd solo/registervm printed ${JSON.stringify(vmid)}, not a vmid`);
  return vmid;
}

/** `vim-cmd vmsvc/power.on`. Its answer lost: a VM that is on now was powered on. */
async function powerOn(request: RestoreToHostRequest, vmid: string): Promise<void> {
  const { session } = request;
  await runCheckedStep({
    what: `vim-cmd vmsvc/power.on of VM ${vmid}`,
    run: async () => void (await runVimCmd(session, sh`vim-cmd vmsvc/power.on ${vmid}`, `vim-cmd vmsvc/power.on of VM ${vmid}`, { retryOnConnectionLost: false })),
    afterLoss: async () => {
      const source = `vim-cmd vmsvc/power.getstate ${vmid}`;
      const state = parsePowerState((await runVimCmd(session, sh`vim-cmd vmsvc/power.getstate ${vmid}`, source)).stdout, source);
      return state === "poweredOn" ? { done: undefined } : undefined;
    },
    ...retryOptions(request),
  });
}

function retryOptions(request: RestoreToHostRequest): { attempts?: number; onRetry?: (reason: string) => void } {
  return { ...(request.attempts === undefined ? {} : { attempts: request.attempts }), ...(request.onRetry === undefined ? {} : { onRetry: request.onRetry }) };
}

/** Writes the disk's non-zero chunks into its new flat file (it reads as zeros elsewhere); returns the bytes written. */
async function writeDisk(request: RestoreToHostRequest, disk: HostRestoreDisk, method: FlatWriteMethod, onDone: (bytes: number) => void): Promise<number> {
  const reader = await DiskReader.open(request.repository, request.pointId, disk.index);
  const runs = diskRuns(reader, { zeros: false, runBytes: restoreRunBytes(method.kind) });
  const { bytesWritten } = await writeDiskRuns({ session: request.session, flatPath: disk.flatPath, method, channels: request.channels ?? DEFAULT_RESTORE_CHANNELS, reader, runs, signal: request.signal, onDone, ...retryOptions(request) });
  return bytesWritten;
}

/**
 * Undoes this restore: unregisters a VM registered from its `.vmx` (the answer of registervm may have been
 * lost), then deletes the folder it created. Not cancellable: it runs after an abort. Returns what could
 * not be removed, in words, or undefined when the host is as it was.
 */
async function removeWhatWasCreated(session: HostRestoreSession, plan: HostRestorePlan, step: (text: string) => void): Promise<string | undefined> {
  try {
    for (const vm of await registeredVms(session, undefined)) {
      if (vm.file !== plan.vmxDatastorePath) continue;
      await runVimCmd(session, sh`vim-cmd vmsvc/unregister ${vm.vmid}`, `vim-cmd vmsvc/unregister of VM ${vm.vmid}`, { retryOnConnectionLost: false });
      step(`unregistered vmid ${vm.vmid}`);
    }
    await session.exec(sh`rm -rf -- ${plan.folderPath}`, { retryOnConnectionLost: true });
    step(`removed ${plan.folderPath}`);
    return undefined;
  } catch (error) {
    return `the restore's folder ${plan.folderPath} could not be removed (${error instanceof Error ? error.message : String(error)}); remove it, and unregister a VM registered from ${plan.vmxDatastorePath} if there is one`;
  }
}

async function registeredVms(session: HostRestoreSession, signal: AbortSignal | undefined): Promise<{ vmid: string; name: string; file: string }[]> {
  const listing = await runVimCmd(session, sh`vim-cmd vmsvc/getallvms`, "vim-cmd vmsvc/getallvms", signal === undefined ? {} : { signal });
  return parseGetAllVms(listing.stdout).vms.map((vm) => ({ vmid: vm.vmid, name: vm.name, file: vm.file }));
}

async function pathExists(session: HostRestoreSession, path: string, signal: AbortSignal): Promise<boolean> {
  // `ls -d` rather than `test -e`: a dangling symbolic link exists too, and would still block mkdir.
  const result = await session.exec(sh`ls -d -- ${path}`, { check: false, retryOnConnectionLost: true, signal });
  return result.exitCode === 0;
}
