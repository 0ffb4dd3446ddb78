/**
 * The backup pipeline of one recovery point, whatever the sources (local images, the disks of a VM on a
 * host): every disk is planned first — the previous point's disk of the same `key` is read for its
 * fingerprints when the plan compares with them — so that anything that refuses the backup does so before
 * the writer starts and the repository stays as it was. Then one `PointWriter` takes the disks,
 * `diskConcurrency` at a time, each through `backUpPlannedDisk`, and commits the point. An error or an abort
 * on any disk stops the others and abandons the point.
 */
import type { Clock, PointId, RecoveryPoint, RecoveryPointVm, VmConfigFile } from "@esxbackup/domain";
import { NoSuchPointError, PointWriter } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { sumBackupCounters } from "./backup-counters.js";
import type { BackupCounters } from "./backup-counters.js";
import { backUpPlannedDisk, planPointDisk } from "./point-disk-backup.js";
import type { PlannedDisk, PointDiskRequest, PointDiskResult } from "./point-disk-backup.js";

export type { PointDiskRequest, PointDiskResult } from "./point-disk-backup.js";

/** Disks backed up at once when the caller does not say: two keep a host's disk and the link busy. */
export const DEFAULT_DISK_CONCURRENCY = 2;

export interface BackUpPointRequest {
  repository: Repository;
  signal: AbortSignal;
  clock: Clock;
  progress: ProgressReporter;
  point: { vm: RecoveryPointVm; host: string; configFiles: VmConfigFile[]; tags: string[]; previousPointId?: PointId; flushEveryBytes?: number };
  /** In the order the point lists them (a VM's slot order). */
  disks: PointDiskRequest[];
  diskConcurrency?: number;
  /**
   * Called once every disk has been read, before the point is published: a VM backup removes its snapshot
   * here, while the repository makes the chunks durable. The point is published only if the promise it
   * returns resolves; its rejection is the backup's error.
   */
  readsDone?: () => Promise<void>;
}

export interface BackUpPointResult {
  point: PointId;
  seconds: number;
  /** Every disk's counters summed; the throughput is the point's bytes read over its duration. */
  counters: BackupCounters;
  disks: PointDiskResult[];
}

export async function backUpPoint(request: BackUpPointRequest): Promise<BackUpPointResult> {
  const { repository, signal, clock } = request;
  const startedMs = clock.now().getTime();
  const concurrency = request.diskConcurrency ?? DEFAULT_DISK_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`diskConcurrency must be a positive integer (got ${concurrency})`);
  if (request.disks.length === 0) throw new RangeError("a point needs at least one disk");
  const keys = request.disks.map((disk) => disk.key);
  const repeated = keys.find((key, position) => keys.indexOf(key) !== position);
  if (repeated !== undefined) throw new RangeError(`disk key ${repeated} is given twice`);

  const previousPointId = request.point.previousPointId;
  let previousPoint: RecoveryPoint | undefined;
  if (previousPointId !== undefined) {
    if (!(await repository.hasPoint(previousPointId))) throw new NoSuchPointError("previous point", [previousPointId]);
    previousPoint = await repository.readPoint(previousPointId);
  }
  const planned: PlannedDisk[] = [];
  for (const disk of request.disks) planned.push(await planPointDisk(repository, previousPoint, disk));
  signal.throwIfAborted();

  const writer = await PointWriter.begin(repository, {
    vm: request.point.vm,
    host: request.point.host,
    configFiles: request.point.configFiles,
    tags: request.point.tags,
    ...(request.point.flushEveryBytes === undefined ? {} : { flushEveryBytes: request.point.flushEveryBytes }),
    ...(previousPointId === undefined ? {} : { previousPointId }),
  });
  // One failing disk stops the others: their reads and fingerprinting see this signal.
  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort(signal.reason);
    void writer.abort();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    const results: PointDiskResult[] = new Array<PointDiskResult>(planned.length);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async (): Promise<void> => {
      while (next < planned.length && failure === undefined) {
        const position = next++;
        try {
          // `openDisk` numbers disks in the order it is called, synchronously: lanes take disks in order,
          // so the point lists them as given however many run at once.
          results[position] = await backUpPlannedDisk({ repository, writer, planned: planned[position] as PlannedDisk, signal: stop.signal, clock, progress: request.progress, vm: request.point.vm.name });
        } catch (error) {
          failure ??= { error };
          stop.abort(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, planned.length) }, lane));
    if (failure !== undefined) throw failure.error;
    signal.throwIfAborted();
    const point = await writer.commit(request.readsDone === undefined ? {} : { beforePublish: request.readsDone() });
    const seconds = (clock.now().getTime() - startedMs) / 1000;
    return { point: point.pointId, seconds, counters: sumBackupCounters(results.map((disk) => disk.counters), seconds), disks: results };
  } catch (error) {
    await writer.abort();
    // Cancelled: whatever a disk failed with on the way out (a closed writer), the cause is the abort.
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
