/**
 * Restores a point over the VM it was made from (`--over-original`): after `planOverOriginalRestore`
 * accepted it (powered off, no snapshots, same disks), each disk's flat file is rewritten in place over N
 * channels: non-zero chunks sent, zero chunks written as zeros by the host itself (the file holds old
 * data). The `.vmx` and every other file are kept. A dropped connection is survived as in a restore to a
 * new VM: writes the host had not acknowledged are sent again (docs/adr/0027).
 *
 * A restore stopped part-way (killed, Ctrl-C, an error) leaves the disks a mix of old and new, which cannot
 * be undone; it is carried on instead (docs/adr/0030). Before the first byte, a record is saved in the VM's
 * folder (restore-record.ts, the same `.esxbackup-restore.json` a restore as a new VM keeps) naming the
 * point, the disks and their files, and a fingerprint of the VM's `vmware.log`; it is rewritten as the host
 * acknowledges runs, and removed once every disk is rewritten. Run again, the same restore sends only what
 * the record does not show acknowledged; another point, other disks, a record that cannot be read, or a VM
 * powered on since (its `vmware.log` changed: the guest may have written below the recorded chunk) rewrite
 * the disks whole, and say why. Every check on the VM (off, no snapshots, same disks) runs as before.
 */
import { createHash, randomUUID } from "node:crypto";
import { EsxbackupError } from "@esxbackup/domain";
import type { Clock, PointId } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { listHostVms } from "../esxi/inventory/list-host-vms.js";
import { readVmInventory } from "../esxi/inventory/read-vm-inventory.js";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import { sh } from "../esxi/ssh/shell-command.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import type { TransferRateLimiter } from "../transfer/transfer-rate-limiter.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";
import { chooseFlatWriteMethod } from "./choose-flat-write-method.js";
import { HostRestoreRecord, readRestoreRecordText } from "./host-restore-record.js";
import { planOverOriginalRestore } from "./plan-over-original-restore.js";
import type { OverOriginalDisk, OverOriginalPlan } from "./plan-over-original-restore.js";
import { VM_LOG_ABSENT, decideOverOriginalStart, restoreStopCause } from "./restore-record.js";
import type { RestoreRecord } from "./restore-record.js";
import { HostRestoreFailedError, RestoreLeftResumableError, diskWriteOptions } from "./restore-to-host.js";
import type { HostRestoreSession } from "./restore-to-host.js";
import { diskRuns, restoreRunBytes, writeDiskRuns } from "./write-disk-runs.js";
import { verifyRestoredDisks } from "./verify-restored-disk.js";
import type { RestoreVerification } from "./verify-restored-disk.js";

export interface RestoreOverOriginalRequest {
  session: HostRestoreSession;
  repository: Repository;
  pointId: PointId;
  /** The VM to overwrite; default the point's VM name. */
  name?: string;
  channels?: number;
  method?: FlatWriteMethod;
  signal: AbortSignal;
  clock: Clock;
  /** One `restore` task per disk: data bytes sent and written, zero chunks zeroed on the host (skipped as zero). */
  progress: ProgressReporter;
  /** Tries per written run when the connection keeps dropping (default 3). */
  attempts?: number;
  /** A run is sent again after a lost connection: which, and why. */
  onRetry?: (reason: string) => void;
  /** The bandwidth limit of the run (docs/adr/0032): the disks' data sent waits for it. */
  rateLimiter?: Pick<TransferRateLimiter, "take">;
  /** An interrupted restore of this same point over this VM is carried on: what of its disks is rewritten already. */
  onResume?: (resume: { folderPath: string; bytesWritten: number; bytesTotal: number }) => void;
  /** The disks are rewritten whole: why (no interrupted restore of this point over the VM, or what was found instead). */
  onRewriteWhole?: (why: string) => void;
  /** Least time between two saves of the restore's record on the host (default RESTORE_RECORD_INTERVAL_MS). */
  recordIntervalMs?: number;
  /**
   * Once every disk is rewritten, the host fingerprints each and they are compared with the point's
   * (docs/adr/0036); a disk that differs fails the restore and its record is removed, so that the next run
   * rewrites the disks whole.
   */
  verify?: boolean;
}

export interface RestoreOverOriginalResult {
  vmid: string;
  name: string;
  method: FlatWriteMethod["kind"];
  /** `bytesWritten`/`bytesZeroed`: by this run; `bytesAlreadyWritten`: rewritten by an interrupted run of the same restore. */
  disks: { index: number; slot: string; path: string; sizeBytes: number; bytesWritten: number; bytesZeroed: number; bytesAlreadyWritten: number }[];
  bytesWritten: number;
  /** The restore carried on an interrupted run of itself (docs/adr/0030). */
  resumed: boolean;
  bytesAlreadyWritten: number;
  /** The disks are rewritten, but the restore's record could not be removed: what to do. */
  recordLeftBehind?: string;
  /** With `verify`: the disks fingerprinted on the host, every block equal to the point's. */
  verified?: RestoreVerification;
  seconds: number;
}

export async function restoreOverOriginal(request: RestoreOverOriginalRequest): Promise<RestoreOverOriginalResult> {
  const { session, repository, signal, clock } = request;
  const startedMs = clock.now().getTime();
  const point = await repository.readPoint(request.pointId);
  const name = request.name ?? point.vm.name;
  const listing = await listHostVms(session, { signal });
  const rows = listing.vms.filter((row) => row.name === name);
  const vms = await Promise.all(rows.map((row) => readVmInventory(session, row, { signal })));
  const plan = planOverOriginalRestore(point, name, vms);
  const capabilities = await probeHostCapabilities(session);
  const method: FlatWriteMethod = chooseFlatWriteMethod(capabilities, request.method);
  const readers = new Map<number, DiskReader>();
  for (const disk of plan.disks) readers.set(disk.index, await DiskReader.open(repository, request.pointId, disk.index));
  const expected: RestoreRecord = {
    restoreId: randomUUID(),
    target: "over-original",
    point: request.pointId,
    name,
    datastore: plan.datastore,
    chunkSizeBytes: point.chunkSizeBytes,
    disks: plan.disks.map((disk) => ({ index: disk.index, sizeBytes: disk.sizeBytes, created: true, writtenBelowChunk: 0, path: disk.flatPath })),
    registering: false,
    vmLog: await vmLogFingerprint(session, plan, signal),
  };
  const start = decideOverOriginalStart(expected, await readRestoreRecordText(session, plan, signal));
  const bytesTotal = plan.disks.reduce((sum, disk) => sum + disk.sizeBytes, 0);
  const record = new HostRestoreRecord({
    session,
    plan,
    record: start.kind === "resume" ? start.record : expected,
    python: capabilities.python?.command,
    clock,
    ...(request.recordIntervalMs === undefined ? {} : { intervalMs: request.recordIntervalMs }),
  });
  const rewritten = (recorded: RestoreRecord): number => plan.disks.reduce((sum, disk) => sum + bytesBelow(recorded, disk, readers), 0);
  signal.throwIfAborted();
  if (start.kind === "resume") {
    request.onResume?.({ folderPath: plan.folderPath, bytesWritten: rewritten(start.record), bytesTotal });
  } else {
    request.onRewriteWhole?.(start.why);
    // On the host before the first byte of the disks changes: a kill from here on leaves a record of this restore.
    await record.saveOrFail("before the VM's disks are written");
  }

  const disks: RestoreOverOriginalResult["disks"] = [];
  let verified: RestoreVerification | undefined;
  try {
    for (const disk of plan.disks) {
      const reader = readers.get(disk.index) as DiskReader;
      const bytesAlreadyWritten = bytesBelow(record.record, disk, readers);
      const runs = diskRuns(reader, { zeros: true, runBytes: restoreRunBytes(method.kind), fromChunk: recordedChunk(record.record, disk) });
      record.writing(disk.index, runs);
      const task = request.progress.start({ phase: "restore", vm: name, disk: `${disk.slot} ${disk.flatPath}`, bytesTotal: disk.sizeBytes - bytesAlreadyWritten });
      let bytesDone = 0;
      let bytesSent = 0;
      try {
        const { bytesWritten, bytesZeroed } = await writeDiskRuns({
          ...diskWriteOptions(request, method),
          flatPath: disk.flatPath,
          reader,
          runs,
          onDone: (bytes, zero, run) => {
            bytesDone += bytes;
            if (!zero) bytesSent += bytes;
            record.acknowledged(disk.index, run);
            task.update(bytesDone, { bytesRead: bytesSent, bytesSent, bytesWritten: bytesDone, bytesSkippedZero: bytesDone - bytesSent });
          },
        });
        await record.flush();
        disks.push({ index: disk.index, slot: disk.slot, path: disk.flatPath, sizeBytes: disk.sizeBytes, bytesWritten, bytesZeroed, bytesAlreadyWritten });
      } finally {
        task.stop();
      }
    }
    if (request.verify === true) {
      verified = await verifyRestoredDisks(
        { session, capabilities, repository, pointId: request.pointId, ...(request.channels === undefined ? {} : { channels: request.channels }), signal, progress: request.progress, vm: name },
        plan.disks.map((disk) => ({ index: disk.index, label: `${disk.slot} ${disk.flatPath}`, flatPath: disk.flatPath, sizeBytes: disk.sizeBytes })),
      );
    }
  } catch (error) {
    if (!(error instanceof EsxbackupError || (error instanceof Error && error.name === "AbortError"))) throw error;
    // What the host acknowledged is recorded before the restore lets go (a save that fails leaves the last one).
    await record.flush();
    const cause = restoreStopCause(error, signal.aborted);
    if (cause === "verification-failed") {
      // The record claims disks that are not the point's: without it, the next run rewrites them whole.
      const recordLeft = await record.remove().then(
        () => "",
        (removal: unknown) => `; remove ${record.path} (${removal instanceof Error ? removal.message : String(removal)}) so that it does`,
      );
      throw new HostRestoreFailedError(error.message, `VM ${plan.vmid} ${JSON.stringify(name)} must not be powered on: run the restore again, it rewrites the disks whole${recordLeft}`, { cause: error });
    }
    if (cause === "point-unreadable" || cause === "datastore-full") {
      throw new HostRestoreFailedError(error.message, `the disks of VM ${plan.vmid} ${JSON.stringify(name)} are partly rewritten: restore a point over it before powering it on`, { cause: error });
    }
    throw new RestoreLeftResumableError(error.message, { folderPath: plan.folderPath, bytesAlreadyWritten: rewritten(record.saved), bytesTotal, interrupted: cause === "interrupted", target: "over-original" }, { cause: error });
  }
  // Every disk is the point's now: the record goes, so a later restore over this VM starts whole.
  const recordLeftBehind = await record.remove().then(
    () => undefined,
    (error: unknown) => `its restore record ${record.path} could not be removed (${error instanceof Error ? error.message : String(error)}); remove it`,
  );
  return {
    vmid: plan.vmid,
    name,
    method: method.kind,
    disks,
    bytesWritten: disks.reduce((sum, disk) => sum + disk.bytesWritten, 0),
    resumed: start.kind === "resume",
    bytesAlreadyWritten: disks.reduce((sum, disk) => sum + disk.bytesAlreadyWritten, 0),
    ...(recordLeftBehind === undefined ? {} : { recordLeftBehind }),
    ...(verified === undefined ? {} : { verified }),
    seconds: (clock.now().getTime() - startedMs) / 1000,
  };
}

/** The chunk below which the record shows every chunk of the disk (data and zeros) acknowledged. */
function recordedChunk(record: RestoreRecord, disk: OverOriginalDisk): number {
  return record.disks.find((d) => d.index === disk.index)?.writtenBelowChunk ?? 0;
}

/** Bytes of the disk below its recorded chunk: rewritten already. */
function bytesBelow(record: RestoreRecord, disk: OverOriginalDisk, readers: ReadonlyMap<number, DiskReader>): number {
  const reader = readers.get(disk.index) as DiskReader;
  return Math.min(recordedChunk(record, disk) * reader.index.chunkSizeBytes, disk.sizeBytes);
}

/**
 * A fingerprint of the VM's `vmware.log` (SHA-256 of its content; VM_LOG_ABSENT without one). The VM's
 * vmx process writes that log from its power-on (esxi-facts 2.1 lists it in the VM's folder; the simulator
 * appends to it at each power-on), so a VM started between two runs of a restore over it is told by a
 * changed fingerprint; a log changed for any other reason only costs a whole rewrite. Streamed and hashed
 * here: a long-lived VM's log may be large, and it is read once a run.
 */
async function vmLogFingerprint(session: HostRestoreSession, plan: OverOriginalPlan, signal: AbortSignal): Promise<string> {
  const exec = await session.execStream(sh`cat -- ${`${plan.folderPath}/vmware.log`}`, { check: false, signal });
  const hash = createHash("sha256");
  for await (const piece of exec.stdout) hash.update(piece as Buffer);
  const outcome = await exec.result;
  return outcome.exitCode === 0 ? hash.digest("hex") : VM_LOG_ABSENT;
}
