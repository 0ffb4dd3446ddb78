/**
 * Restores a recovery point to an ESXi host as a new VM beside the original (docs/adr/0025):
 *
 *   plan (pure; refuses a host that cannot run the VM's hardware version) → refuse what exists or does
 *   not fit → mkdir the folder → per disk `vmkfstools -c SIZE -d thin`, then only its non-zero chunks
 *   written over N channels → `.nvram`, `.vmsd`, `.vmx` → `vim-cmd solo/registervm` → optionally `power.on`.
 *
 * Nothing is written before every check passed. The folder is created with a plain `mkdir`, which fails
 * if it appeared meanwhile, so everything under it is this restore's own; the same host command writes the
 * restore's record in it (restore-record.ts), which marks it as ours and, rewritten as the host acknowledges
 * disk runs, says what of it is there. On an error or an abort before the end, a VM registered from its
 * `.vmx` (found by path, so a lost answer of registervm is covered) is unregistered: never a half VM in the
 * inventory. Then, when the record on the host claims acknowledged data and a run of the same restore could
 * finish it (`keepStoppedRestore`), the folder and its record are kept and `RestoreLeftResumableError`
 * says how much is there and how to carry it on (docs/adr/0030); otherwise the folder is deleted. Nothing
 * else on the host is ever touched. Once the VM is registered the record is removed.
 *
 * A restore killed outright (docs/adr/0030) leaves its folder, unregistered, with its record. Run again,
 * the same restore carries it on: disks the record does not show as made are made again, and only the
 * data runs it does not show as acknowledged are sent. A folder that is not provably this restore's (no
 * record, another point's, another name's, a VM registered from it) is refused as before, with what to
 * do; `discardLeftover` removes a leftover of ours and starts over.
 *
 * A failed power-on leaves the VM restored and registered (it is whole) and says so.
 *
 * A dropped connection does not end the restore (docs/adr/0027): the session reconnects; disk writes the
 * host had not acknowledged are sent again; the small files are written again (an overwrite in our own
 * folder); `mkdir`, `vmkfstools -c`, registervm and power.on, whose answer may be lost after they took
 * effect, are checked on the host before they are run again. Each is tried `attempts` times, reported
 * through `onRetry`; then the restore fails, and is kept or undone as above. registervm, power.on and the
 * undo's unregister, refused because another task holds the VM (`vim.fault.TaskInProgress`), are tried
 * again after waits (restored-vm-registration.ts, `onHostBusy`).
 */
import { randomUUID } from "node:crypto";
import { EsxbackupError } from "@esxbackup/domain";
import type { Clock, PointId, Scheduler } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { readHostTextFile } from "../esxi/inventory/read-host-text-file.js";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { HostBusyWait } from "../esxi/snapshot/host-busy-retry.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";
import type { Pause } from "../esxi/vim-cmd/power-on-vm.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import type { TransferRateLimiter } from "../transfer/transfer-rate-limiter.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";
import { chooseFlatWriteMethod } from "./choose-flat-write-method.js";
import { hostDependencyWarnings } from "./host-dependencies.js";
import { hostPathExists } from "./host-path-exists.js";
import { HostRestoreRecord, readRestoreRecordText } from "./host-restore-record.js";
import { readTargetHostFacts } from "./read-target-host-facts.js";
import { retryOptionsOf, retryableSshError, runCheckedStep } from "./lost-connection-retry.js";
import { alreadyRegisteredError, cleanupReason, powerOnRestoredVm, registerRestoredVm, registeredVms, unregisterOurs } from "./restored-vm-registration.js";
import { checkHostRestoreTarget, planHostRestore } from "./plan-host-restore.js";
import type { HostRestoreDisk, HostRestorePlan } from "./plan-host-restore.js";
import { restoredDiskDescriptor } from "./restored-disk-descriptor.js";
import type { RecordedDiskShape } from "./restored-disk-descriptor.js";
import { DISCARD_LEFTOVER_OPTION, bytesOfDataChunksBelow, decideLeftoverFolder, keepStoppedRestore, newRestoreRecord, parseRestoreRecord, restoreStopCause } from "./restore-record.js";
import type { LeftoverFolderDecision, RestoreRecord, RestoreTarget } from "./restore-record.js";
import { diskRuns, restoreRunBytes, writeDiskRuns } from "./write-disk-runs.js";
import type { WriteDiskRunsRequest } from "./write-disk-runs.js";
import { verifyRestoredDisks } from "./verify-restored-disk.js";
import type { RestoreVerification } from "./verify-restored-disk.js";

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
  /** What the user should know before the VM is used: what the host lacks of what its `.vmx` needs, a question answered at power-on. */
  onWarning?: (warning: string) => void;
  /** Tries per step and per written run when the connection keeps dropping (default 3). */
  attempts?: number;
  /** Something is tried again after a lost connection: what, and why. */
  onRetry?: (reason: string) => void;
  /** The bandwidth limit of the run (docs/adr/0032): the disks' data sent waits for it. */
  rateLimiter?: Pick<TransferRateLimiter, "take">;
  /** Remove a leftover of an interrupted restore of ours in the target folder and start over (docs/adr/0030). */
  discardLeftover?: boolean;
  /** The target folder is a leftover of this same restore, carried on: what of its data is there already. */
  onResume?: (resume: { folderPath: string; bytesWritten: number; bytesTotal: number }) => void;
  /** Least time between two saves of the restore's record on the host (default RESTORE_RECORD_INTERVAL_MS). */
  recordIntervalMs?: number;
  /**
   * Once every disk is written, the host fingerprints each and they are compared with the point's before
   * the VM is registered (docs/adr/0036); a disk that differs fails the restore, and nothing is kept.
   */
  verify?: boolean;
  /** The wait between two looks for a question the VM asks at power-on (default a real 2 s timer; tests pass their own). */
  questionPause?: Pause;
  /**
   * Times the waits while the host is busy with another task on the VM (registervm, power.on, the undo's
   * unregister: host-busy-retry.ts); default real timers, a test moves them with `ManualScheduler.fire()`.
   */
  scheduler?: Scheduler;
  /** The host refused registervm, power.on or unregister as busy with another task on the VM: tried again after a wait. */
  onHostBusy?: (wait: HostBusyWait) => void;
}

export interface RestoreToHostResult {
  vmid: string;
  name: string;
  datastore: string;
  folderPath: string;
  vmxPath: string;
  method: FlatWriteMethod["kind"];
  /** `bytesWritten`: sent and written by this run; `bytesAlreadyWritten`: there from an interrupted run of the same restore. */
  disks: { index: number; slot: string; path: string; sizeBytes: number; bytesWritten: number; bytesAlreadyWritten: number }[];
  detachedSlots: string[];
  /** With `verify`: the disks fingerprinted on the host, every block equal to the point's. */
  verified?: RestoreVerification;
  bytesWritten: number;
  /** The restore carried on a leftover of an interrupted run of itself (docs/adr/0030). */
  resumed: boolean;
  bytesAlreadyWritten: number;
  /** The VM is registered but its restore record could not be removed: what to do. */
  recordLeftBehind?: string;
  seconds: number;
  poweredOn: boolean;
  /** What the VM's `.vmx` needs that the host lacks or may lack (host-dependencies.ts), as told through `onWarning`. */
  warnings: string[];
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

/** What a restore stopped part-way left on the host to be carried on, and how much of it is there. */
export interface KeptRestore {
  /** The VM folder holding the restore's record (and, as a new VM, everything it wrote). */
  folderPath: string;
  /** Bytes the record on the host claims as written (what a run carrying it on finds already written); `bytesTotal`: what the whole restore writes. */
  bytesAlreadyWritten: number;
  bytesTotal: number;
  /** Stopped by an abort (Ctrl-C), not by an error. */
  interrupted: boolean;
  /** A new VM's folder (`--discard-leftover` applies), or the original VM's disks, partly rewritten. */
  target: RestoreTarget;
}

/**
 * The restore stopped part-way (an abort, or an error a later run may get past) and left what the host
 * acknowledged, with its record, so that running the same restore again carries it on (docs/adr/0030).
 * Nothing half done is registered.
 */
export class RestoreLeftResumableError extends EsxbackupError {
  readonly kept: KeptRestore;
  constructor(why: string, kept: KeptRestore, options?: { cause?: unknown }) {
    super("restore_left_resumable", `${why}; ${resumeAdvice(kept)}`, options);
    this.kept = kept;
  }
}

/** `N of M bytes written into FOLDER; run the same command to resume, or add --discard-leftover to start over`. */
export function resumeAdvice(kept: KeptRestore): string {
  const next = kept.target === "new-vm" ? `, or add ${DISCARD_LEFTOVER_OPTION} to start over` : " (until then its disks are partly rewritten: do not power the VM on)";
  return `${kept.bytesAlreadyWritten} of ${kept.bytesTotal} bytes written into ${kept.folderPath}; run the same command to resume${next}`;
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
    esxi: capabilities.esxi,
  });
  if (plan.hardwareVersionUnchecked !== undefined) step(`virtual hardware version not checked: ${plan.hardwareVersionUnchecked}`);
  // What the .vmx needs of this host that it lacks: warned of, never refused (host-dependencies.ts, docs/adr/0042).
  const warnings = hostDependencyWarnings(plan.hostDependencies, await readTargetHostFacts(session, plan.hostDependencies, signal));
  for (const warning of warnings) request.onWarning?.(warning);
  const datastore = capabilities.datastores.find((ds) => ds.volumeName === plan.datastore);
  const vms = await registeredVms(session, signal);
  const vmNames = vms.map((vm) => vm.name);
  const folderExists = await hostPathExists(session, plan.folderPath, signal);
  // A folder of that name: carried on only when it is provably this restore's (restore-record.ts).
  const leftover: LeftoverFolderDecision | undefined =
    folderExists && !vmNames.includes(plan.name)
      ? decideLeftoverFolder(plan, request.pointId, point.chunkSizeBytes, {
          recordText: await readRestoreRecordText(session, plan, signal),
          registeredFromFolder: vms.filter((vm) => vm.file.startsWith(`[${plan.datastore}] ${plan.name}/`)),
          discard: request.discardLeftover === true,
        })
      : undefined;
  const readers = new Map<number, DiskReader>();
  for (const disk of plan.disks) readers.set(disk.index, await DiskReader.open(repository, request.pointId, disk.index));
  const resumed = leftover?.kind === "resume" ? leftover.record : undefined;
  const alreadyWritten = (index: number): number => {
    const recorded = resumed?.disks.find((disk) => disk.index === index);
    return recorded === undefined || !recorded.created ? 0 : bytesOfDataChunksBelow(recorded.writtenBelowChunk, (readers.get(index) as DiskReader).index);
  };
  checkHostRestoreTarget(plan, {
    vmNames,
    folderExists: folderExists && leftover === undefined,
    // What the leftover holds already is on the datastore: only the rest must fit.
    datastoreFreeBytes: (datastore?.freeBytes ?? 0) + plan.disks.reduce((sum, disk) => sum + alreadyWritten(disk.index), 0),
  });
  const method: FlatWriteMethod = chooseFlatWriteMethod(capabilities, request.method);
  signal.throwIfAborted();

  // From here on the host changes: the folder is ours once mkdir succeeded, and marked so by the record.
  if (leftover?.kind === "discard") {
    await session.exec(sh`rm -rf -- ${plan.folderPath}`, { signal, retryOnConnectionLost: true });
    step(`removed ${plan.folderPath}, left by an interrupted restore of point ${leftover.record.point}`);
  }
  const record = new HostRestoreRecord({
    session,
    plan,
    record: resumed ?? newRestoreRecord(plan, request.pointId, point.chunkSizeBytes, randomUUID()),
    python: capabilities.python?.command,
    clock,
    ...(request.recordIntervalMs === undefined ? {} : { intervalMs: request.recordIntervalMs }),
  });
  if (resumed === undefined) {
    await makeFolder(request, plan.folderPath, record);
    step(`created ${plan.folderPath}`);
  } else {
    const bytesTotal = plan.disks.reduce((sum, disk) => sum + dataBytesOf(readers.get(disk.index) as DiskReader), 0);
    request.onResume?.({ folderPath: plan.folderPath, bytesWritten: plan.disks.reduce((sum, disk) => sum + alreadyWritten(disk.index), 0), bytesTotal });
    step(`resuming into ${plan.folderPath}`);
  }
  /** VMs registered from our `.vmx` path that this restore did not register: never unregistered by it. */
  const notOurs = new Set<string>();
  // Until registervm is called no VM can be ours: one registered from our path before then is someone
  // else's (a stale entry the .vmx we wrote made visible again), and the undo leaves the host alone.
  let registerCalled = false;
  try {
    const written: RestoreToHostResult["disks"] = [];
    for (const disk of plan.disks) {
      const reader = readers.get(disk.index) as DiskReader;
      const recorded = record.record.disks.find((d) => d.index === disk.index);
      if (recorded?.created !== true || !(await hostPathExists(session, [disk.descriptorPath, disk.flatPath], signal))) {
        // Never made, or perhaps half made when the restore was killed: made again, from nothing.
        if (recorded?.created === true) await record.diskCreated(disk.index, false);
        await makeDisk(request, disk, resumed !== undefined);
        await record.diskCreated(disk.index, true);
        step(`created ${disk.descriptorPath} (${disk.sizeBytes} bytes, thin)`);
      }
      const shape = point.disks.find((d) => d.index === disk.index);
      if (shape !== undefined && (await giveDescriptorTheOriginalsShape(request, disk, shape))) {
        step(`gave ${disk.descriptorPath} the original's adapter type and geometry`);
      }
      // What the record shows acknowledged (nothing for a disk just made) is not sent again.
      const fromChunk = recorded?.writtenBelowChunk ?? 0;
      const bytesAlreadyWritten = bytesOfDataChunksBelow(fromChunk, reader.index);
      const runs = diskRuns(reader, { zeros: false, runBytes: restoreRunBytes(method.kind), fromChunk });
      record.writing(disk.index, runs);
      const task = request.progress.start({ phase: "restore", vm: plan.name, disk: `${disk.slot} ${disk.descriptorName}`, bytesTotal: dataBytesOf(reader) - bytesAlreadyWritten });
      const bytesSkippedZero = disk.sizeBytes - disk.dataBytes;
      let bytesDone = 0;
      try {
        const { bytesWritten } = await writeDiskRuns({
          ...diskWriteOptions(request, method),
          flatPath: disk.flatPath,
          reader,
          runs,
          onDone: (bytes, _zero, run) => {
            bytesDone += bytes;
            record.acknowledged(disk.index, run);
            task.update(bytesDone, { bytesRead: bytesDone, bytesSent: bytesDone, bytesWritten: bytesDone, bytesSkippedZero });
          },
        });
        await record.flush();
        written.push({ index: disk.index, slot: disk.slot, path: disk.descriptorPath, sizeBytes: disk.sizeBytes, bytesWritten, bytesAlreadyWritten });
      } finally {
        task.stop();
      }
    }
    const verified =
      request.verify === true
        ? await verifyRestoredDisks(
            { session, capabilities, repository, pointId: request.pointId, ...(request.channels === undefined ? {} : { channels: request.channels }), signal, progress: request.progress, vm: plan.name, onStep: step },
            plan.disks.map((disk) => ({ index: disk.index, label: `${disk.slot} ${disk.descriptorName}`, flatPath: disk.flatPath, sizeBytes: disk.sizeBytes })),
          )
        : undefined;
    // An overwrite of a file in our own folder: run again as it is after a lost connection.
    for (const file of plan.files) {
      await session.exec(sh`cat > ${file.path}`, { stdin: file.content, signal, retryOnConnectionLost: true });
    }
    signal.throwIfAborted();
    // A VM registered from our .vmx path before we register is not ours (one whose files were removed
    // without unregistering it shows again now that the path exists): named, left alone, never unregistered.
    for (const vm of await registeredVms(session, signal)) if (vm.file === plan.vmxDatastorePath) notOurs.add(vm.vmid);
    if (notOurs.size > 0) throw alreadyRegisteredError([...notOurs].join(", "), plan);
    await record.registering();
    registerCalled = true;
    const vmid = await registerRestoredVm(request, plan, notOurs);
    step(`registered ${plan.vmxDatastorePath} as vmid ${vmid}`);
    // The folder is a registered VM's now, not a restore in progress: its record goes.
    const recordLeftBehind = await record.remove().then(
      () => undefined,
      (error: unknown) => `its restore record ${record.path} could not be removed (${error instanceof Error ? error.message : String(error)}); remove it`,
    );
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
      resumed: resumed !== undefined,
      ...(recordLeftBehind === undefined ? {} : { recordLeftBehind }),
      ...(verified === undefined ? {} : { verified }),
      bytesAlreadyWritten: written.reduce((sum, disk) => sum + disk.bytesAlreadyWritten, 0),
      seconds: (clock.now().getTime() - startedMs) / 1000,
      poweredOn: false,
      warnings,
    };
    if (request.powerOn) {
      try {
        await powerOnRestoredVm(request, vmid);
      } catch (error) {
        throw new PowerOnFailedError(plan.name, vmid, error);
      }
      step(`powered on vmid ${vmid}`);
      result.poweredOn = true;
    }
    return result;
  } catch (error) {
    if (error instanceof PowerOnFailedError) throw error;
    await record.settled();
    const message = error instanceof Error ? error.message : String(error);
    // Never a half VM in the inventory: a VM registered from our .vmx goes in every outcome.
    const stillRegistered = registerCalled ? await unregisterOurs(session, plan, step, notOurs, message, request) : undefined;
    if (stillRegistered !== undefined) throw new HostRestoreFailedError(message, stillRegistered, { cause: error });
    const cause = restoreStopCause(error, signal.aborted);
    if (keepStoppedRestore(cause, recordedDataBytes(record.record, readers))) {
      // What the host acknowledged is recorded before the restore lets go (a save that fails leaves the last one).
      record.notRegistering();
      await record.flush();
    }
    // Kept only when the record on the host claims data: a folder of made disks alone is not worth keeping.
    const recordedBytes = (): number => recordedDataBytes(record.saved, readers);
    if (keepStoppedRestore(cause, recordedBytes())) {
      const bytesTotal = plan.disks.reduce((sum, disk) => sum + dataBytesOf(readers.get(disk.index) as DiskReader), 0);
      const kept = { folderPath: plan.folderPath, bytesAlreadyWritten: recordedBytes(), bytesTotal, interrupted: cause === "interrupted", target: "new-vm" as const };
      step(`kept ${plan.folderPath} to be carried on: ${kept.bytesAlreadyWritten} of ${bytesTotal} bytes written`);
      throw new RestoreLeftResumableError(message, kept, { cause: error });
    }
    const leftBehind = await removeFolder(session, plan, step, message, registerCalled);
    if (leftBehind === undefined && signal.aborted) throw error;
    if (leftBehind !== undefined) throw new HostRestoreFailedError(message, leftBehind, { cause: error });
    throw new HostRestoreFailedError(`${message}; what the restore had created (${plan.folderPath}) was removed`, undefined, { cause: error });
  }
}

/** Data bytes a record claims on the host: below each created disk's recorded chunk. */
function recordedDataBytes(record: RestoreRecord, readers: ReadonlyMap<number, DiskReader>): number {
  let bytes = 0;
  for (const disk of record.disks) {
    const reader = readers.get(disk.index);
    if (disk.created && reader !== undefined) bytes += bytesOfDataChunksBelow(disk.writtenBelowChunk, reader.index);
  }
  return bytes;
}

/**
 * `mkdir` (never `-p`: a folder that appeared meanwhile stops the restore), and in the same command the
 * restore's record in it. Its answer lost: a folder still absent is made again; one that holds our record
 * (this restore's id) is ours; any other may be someone else's made at the same moment, so it is left alone
 * and named.
 */
async function makeFolder(request: RestoreToHostRequest, folderPath: string, record: HostRestoreRecord): Promise<void> {
  const { session, signal } = request;
  const maybeMade = `the folder may have been made: remove ${folderPath} if it exists and nothing else uses it, then restore again`;
  const { command, stdin } = record.makeFolderCommand();
  await runCheckedStep({
    what: `mkdir ${folderPath}`,
    run: async () => void (await session.exec(command, { stdin, signal })),
    afterLoss: async () => {
      if (!(await hostPathExists(session, folderPath, signal))) return undefined;
      const found = parseRestoreRecord((await session.exec(sh`cat -- ${record.path}`, { check: false, retryOnConnectionLost: true, signal })).stdout.toString("utf8"));
      if (!("problem" in found) && found.restoreId === record.record.restoreId) return { done: undefined };
      throw new HostRestoreFailedError(`the connection was lost while ${folderPath} was being made, and it exists now without this restore's record: another's made at the same moment, or ours cut off`, maybeMade);
    },
    ...retryOptionsOf(request),
  }).catch((error: unknown) => {
    if (retryableSshError(error) === undefined) throw error;
    throw new HostRestoreFailedError(error instanceof Error ? error.message : String(error), maybeMade, { cause: error });
  });
}

/**
 * `vmkfstools -c`. Its answer lost: the disk may be half made, so its two files (in our folder) are removed
 * and it is made again. `removeFirst`: so are they before the first try (a resumed restore whose record
 * does not show the disk as made: it may have been half made when the restore was killed).
 */
async function makeDisk(request: RestoreToHostRequest, disk: HostRestoreDisk, removeFirst: boolean): Promise<void> {
  const { session, signal } = request;
  if (removeFirst) await session.exec(sh`rm -f -- ${disk.descriptorPath} ${disk.flatPath}`, { signal, retryOnConnectionLost: true });
  await runCheckedStep({
    what: `vmkfstools -c of ${disk.descriptorPath}`,
    run: async () => void (await session.exec(sh`vmkfstools -c ${disk.sizeBytes} -d thin ${disk.descriptorPath}`, { signal })),
    afterLoss: async () => {
      await session.exec(sh`rm -f -- ${disk.descriptorPath} ${disk.flatPath}`, { signal, retryOnConnectionLost: true });
      return undefined;
    },
    ...retryOptionsOf(request),
  });
}

/**
 * The point's adapter type and geometry on the descriptor `vmkfstools -c` made (`restoredDiskDescriptor`).
 * Written to a temporary name and renamed over it, so that a kill never leaves half a descriptor; looked at
 * on every run, a resumed one too (a kill may have come between vmkfstools and this). True if it changed.
 */
async function giveDescriptorTheOriginalsShape(request: RestoreToHostRequest, disk: HostRestoreDisk, recorded: RecordedDiskShape): Promise<boolean> {
  const { session, signal } = request;
  const made = await readHostTextFile(session, disk.descriptorPath, "the restored disk's descriptor", { signal });
  const text = restoredDiskDescriptor(made, recorded);
  if (text === undefined) return false;
  const temporary = `${disk.descriptorPath}.esxbackup-new`;
  await session.exec(sh`cat > ${temporary} && mv -f -- ${temporary} ${disk.descriptorPath}`, { stdin: Buffer.from(text, "utf8"), signal, retryOnConnectionLost: true });
  return true;
}

/** What every disk a restore writes shares, as a new VM or over the original: the session, the writer, the channels, the abort, the retries. */
export function diskWriteOptions(
  request: Pick<RestoreToHostRequest, "session" | "channels" | "signal" | "attempts" | "onRetry" | "rateLimiter">,
  method: FlatWriteMethod,
): Pick<WriteDiskRunsRequest, "session" | "method" | "channels" | "signal" | "attempts" | "onRetry" | "rateLimiter"> {
  return {
    session: request.session,
    method,
    channels: request.channels ?? DEFAULT_RESTORE_CHANNELS,
    signal: request.signal,
    ...retryOptionsOf(request),
    ...(request.rateLimiter === undefined ? {} : { rateLimiter: request.rateLimiter }),
  };
}

/** Bytes of the disk's data chunks: what a restore to a new thin disk sends. */
function dataBytesOf(reader: DiskReader): number {
  return bytesOfDataChunksBelow(reader.index.chunkCount, reader.index);
}

/** Deletes the folder this restore created (no VM is registered from it). Not cancellable. Returns what could not be removed, in words, or undefined. */
async function removeFolder(session: HostRestoreSession, plan: HostRestorePlan, step: (text: string) => void, failure: string, registerCalled: boolean): Promise<string | undefined> {
  try {
    await session.exec(sh`rm -rf -- ${plan.folderPath}`, { retryOnConnectionLost: true });
    step(`removed ${plan.folderPath}`);
    return undefined;
  } catch (error) {
    const unregister = registerCalled ? `, and unregister a VM registered from ${plan.vmxDatastorePath} if there is one` : "";
    return `the restore's folder ${plan.folderPath} could not be removed ${cleanupReason(error, failure)}; remove it${unregister}`;
  }
}

