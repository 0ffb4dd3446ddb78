/**
 * Restores a point over the VM it was made from (`--over-original`): after `planOverOriginalRestore`
 * accepted it (powered off, no snapshots, same disks), each disk's flat file is rewritten in place over N
 * channels: non-zero chunks sent, zero chunks written as zeros by the host itself (the file holds old
 * data). The `.vmx` and every other file are kept. A dropped connection is survived as in a restore to a
 * new VM: writes the host had not acknowledged are sent again (docs/adr/0027). An error or an abort
 * part-way leaves the disks partly rewritten, which cannot be undone: the error says so, and restoring
 * again finishes the job.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { Clock, PointId } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { parseGetAllVms } from "../esxi/parsers/parse-get-all-vms.js";
import { readVmInventory } from "../esxi/inventory/read-vm-inventory.js";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import { sh } from "../esxi/ssh/shell-command.js";
import { runVimCmd } from "../esxi/vim-cmd/run-vim-cmd.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";
import { planOverOriginalRestore } from "./plan-over-original-restore.js";
import type { OverOriginalDisk } from "./plan-over-original-restore.js";
import { DEFAULT_RESTORE_CHANNELS, HostRestoreFailedError } from "./restore-to-host.js";
import type { HostRestoreSession } from "./restore-to-host.js";
import { diskRuns, restoreRunBytes, writeDiskRuns } from "./write-disk-runs.js";

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
}

export interface RestoreOverOriginalResult {
  vmid: string;
  name: string;
  method: FlatWriteMethod["kind"];
  disks: { index: number; slot: string; path: string; sizeBytes: number; bytesWritten: number; bytesZeroed: number }[];
  bytesWritten: number;
  seconds: number;
}

export async function restoreOverOriginal(request: RestoreOverOriginalRequest): Promise<RestoreOverOriginalResult> {
  const { session, repository, signal, clock } = request;
  const startedMs = clock.now().getTime();
  const point = await repository.readPoint(request.pointId);
  const name = request.name ?? point.vm.name;
  const listing = parseGetAllVms((await runVimCmd(session, sh`vim-cmd vmsvc/getallvms`, "vim-cmd vmsvc/getallvms", { signal })).stdout);
  const rows = listing.vms.filter((row) => row.name === name);
  const vms = await Promise.all(rows.map((row) => readVmInventory(session, row, { signal })));
  const plan = planOverOriginalRestore(point, name, vms);
  const capabilities = await probeHostCapabilities(session);
  const method: FlatWriteMethod = request.method ?? (capabilities.python === undefined ? { kind: "dd" } : { kind: "python", interpreter: capabilities.python.command });
  const disks: RestoreOverOriginalResult["disks"] = [];
  try {
    for (const disk of plan.disks) {
      const task = request.progress.start({ phase: "restore", vm: name, disk: `${disk.slot} ${disk.flatPath}`, bytesTotal: disk.sizeBytes });
      let bytesDone = 0;
      let bytesSent = 0;
      try {
        disks.push(
          await rewriteDisk(request, disk, method, (bytes, zero) => {
            bytesDone += bytes;
            if (!zero) bytesSent += bytes;
            task.update(bytesDone, { bytesRead: bytesSent, bytesSent, bytesWritten: bytesDone, bytesSkippedZero: bytesDone - bytesSent });
          }),
        );
      } finally {
        task.stop();
      }
    }
  } catch (error) {
    if (error instanceof EsxbackupError || (error instanceof Error && error.name === "AbortError")) {
      throw new HostRestoreFailedError(error.message, `the disks of VM ${plan.vmid} ${JSON.stringify(name)} are partly rewritten: restore the point again before powering it on`, { cause: error });
    }
    throw error;
  }
  return {
    vmid: plan.vmid,
    name,
    method: method.kind,
    disks,
    bytesWritten: disks.reduce((sum, disk) => sum + disk.bytesWritten, 0),
    seconds: (clock.now().getTime() - startedMs) / 1000,
  };
}

async function rewriteDisk(request: RestoreOverOriginalRequest, disk: OverOriginalDisk, method: FlatWriteMethod, onDone: (bytes: number, zero: boolean) => void): Promise<RestoreOverOriginalResult["disks"][number]> {
  const reader = await DiskReader.open(request.repository, request.pointId, disk.index);
  const { bytesWritten, bytesZeroed } = await writeDiskRuns({
    session: request.session,
    flatPath: disk.flatPath,
    method,
    channels: request.channels ?? DEFAULT_RESTORE_CHANNELS,
    reader,
    runs: diskRuns(reader, { zeros: true, runBytes: restoreRunBytes(method.kind) }),
    signal: request.signal,
    onDone,
    ...(request.attempts === undefined ? {} : { attempts: request.attempts }),
    ...(request.onRetry === undefined ? {} : { onRetry: request.onRetry }),
  });
  return { index: disk.index, slot: disk.slot, path: disk.flatPath, sizeBytes: disk.sizeBytes, bytesWritten, bytesZeroed };
}
