/**
 * One disk of a point being backed up, in two steps. `planPointDisk`, before the point's writer starts:
 * finds the previous point's disk of the same key, reads its fingerprints only when the plan uses them and
 * plans (`planBackup`), so a refusal leaves the repository untouched. `backUpPlannedDisk`, within the open
 * writer: lets the source fingerprint the disk when changes are found that way — hashing the previous
 * point's disk again from the repository meanwhile when its fingerprints cannot be compared as recorded —
 * then fills the disk's chunks: from the changed blocks only (`rebuildChangedChunks`), or by reading whole
 * chunks (`readWholeChunks`) when changes are listed or unknown.
 */
import type { ChangeFingerprints, DiskFingerprints, DiskGeometry, PointId, RecoveryPoint, RecoveryPointDisk } from "@esxbackup/domain";
import { readPointDiskFingerprints } from "@esxbackup/repository";
import type { PointWriter, Repository } from "@esxbackup/repository";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { backupCounters } from "./backup-counters.js";
import type { BackupCounters } from "./backup-counters.js";
import { BlockFingerprintTable } from "./block-fingerprint-table.js";
import type { FillResult } from "./disk-run-lanes.js";
import type { DiskSource, SourceFingerprints } from "./disk-source.js";
import { hashPointDisk } from "./hash-point-disk.js";
import { needsPreviousFingerprints, planBackup, planReads } from "./plan-backup.js";
import type { BackupPlan, BackupPlanRequest, ChangeSource, ReadPlan } from "./plan-backup.js";
import { readWholeChunks } from "./read-whole-chunks.js";
import { rebuildChangedChunks } from "./rebuild-changed-chunks.js";

export interface PointDiskRequest {
  /** The disk's place in the VM (`scsi0:0`); the previous point's disk with the same key is its base. */
  key: string;
  source: DiskSource;
  changes: ChangeSource;
  /** The fingerprints to record, and the kind the source computes (see `BackupPlanRequest.requested`). */
  fingerprints?: ChangeFingerprints;
  geometry?: DiskGeometry;
  adapterType?: string;
}

export interface PointDiskResult {
  key: string;
  counters: BackupCounters;
  fingerprints?: ChangeFingerprints;
  changed?: { ranges: number; bytes: number };
}

export interface PlannedDisk {
  request: PointDiskRequest;
  plan: BackupPlan;
  /** The previous point's disk of the same key; its fingerprints only when the plan needed them. */
  previous?: { pointId: PointId; diskIndex: number; diskSizeBytes: number; fingerprints?: DiskFingerprints };
}

export async function planPointDisk(repository: Repository, previousPoint: RecoveryPoint | undefined, request: PointDiskRequest): Promise<PlannedDisk> {
  // A disk new since the previous point (no disk of its key there) is that disk's first backup.
  const previousDisk: RecoveryPointDisk | undefined = previousPoint?.disks.find((disk) => disk.key === request.key);
  const planRequest: BackupPlanRequest = {
    changes: request.changes,
    ...(request.fingerprints === undefined ? {} : { requested: request.fingerprints }),
    ...(previousPoint === undefined || previousDisk === undefined ? {} : { previousPointId: previousPoint.pointId }),
  };
  if (previousPoint === undefined || previousDisk === undefined) return { request, plan: planBackup(planRequest) };
  const fingerprints = needsPreviousFingerprints(planRequest) ? await readPointDiskFingerprints(repository, previousPoint, previousDisk) : undefined;
  const previous = {
    pointId: previousPoint.pointId,
    diskIndex: previousDisk.index,
    diskSizeBytes: previousDisk.sizeBytes,
    ...(fingerprints === undefined ? {} : { fingerprints }),
  };
  return { request, plan: planBackup(planRequest, needsPreviousFingerprints(planRequest) ? previous : undefined), previous };
}

export async function backUpPlannedDisk(input: {
  repository: Repository;
  writer: PointWriter;
  planned: PlannedDisk;
  signal: AbortSignal;
  clock: { now(): Date };
  progress: ProgressReporter;
  vm: string;
}): Promise<PointDiskResult> {
  const { repository, writer, planned, signal, clock, progress } = input;
  const { request, plan, previous } = planned;
  const { source } = request;
  const startedMs = clock.now().getTime();
  const task = { vm: input.vm, disk: `${request.key} ${source.name}` };
  const table = plan.record === undefined ? undefined : new BlockFingerprintTable(plan.record, source.sizeBytes);
  const disk = await writer.openDisk({
    key: request.key,
    name: source.name,
    sizeBytes: source.sizeBytes,
    ...(request.geometry === undefined ? {} : { geometry: request.geometry }),
    ...(request.adapterType === undefined ? {} : { adapterType: request.adapterType }),
  });
  /** The previous point's disk hashed again, at the kind recorded. */
  const rehashPrevious = async (): Promise<DiskFingerprints> => {
    if (previous === undefined || plan.record === undefined) throw new Error("nothing to hash again: no previous disk or no kind");
    const hashing = progress.start({ ...task, disk: `${task.disk} (previous point)`, phase: "fingerprint", bytesTotal: previous.diskSizeBytes });
    try {
      return await hashPointDisk(repository, previous, plan.record, { signal, onProgress: (bytesDone) => hashing.update(bytesDone) });
    } finally {
      hashing.stop();
    }
  };

  let filled: FillResult;
  let changed: { ranges: number; bytes: number } | undefined;
  let current: SourceFingerprints | undefined;
  let fillFrom = plan.fillFrom;
  if (plan.fingerprintFirst && plan.record !== undefined) {
    const kind = plan.record;
    const fingerprinting = async (): Promise<SourceFingerprints> => {
      const hashing = progress.start({ ...task, phase: "fingerprint", bytesTotal: source.sizeBytes });
      try {
        return await source.fingerprint(kind, { signal, onProgress: (bytesDone) => hashing.update(bytesDone) });
      } finally {
        hashing.stop();
      }
    };
    // The source hashes its disk while the previous disk is hashed here: neither waits for the other.
    const [sourceFingerprints, rehashed] = await Promise.all([fingerprinting(), plan.rehashPrevious === true && previous !== undefined ? rehashPrevious() : undefined]);
    current = sourceFingerprints;
    let compareWith = rehashed ?? plan.compareWith;
    const planFor = (fingerprints: DiskFingerprints | undefined): ReadPlan =>
      planReads({
        changes: request.changes,
        plan,
        chunkSizeBytes: disk.chunkSizeBytes,
        current: sourceFingerprints,
        ...(previous === undefined || fingerprints === undefined ? {} : { previous: { sizeBytes: previous.diskSizeBytes, fingerprints } }),
      });
    let reads = planFor(compareWith);
    // Recorded fingerprints that do not describe the previous disk (damaged, or of another size): hashed again.
    if (reads.kind === "re-hash-previous" && rehashed === undefined) {
      compareWith = await rehashPrevious();
      reads = planFor(compareWith);
    }
    if (reads.kind !== "blocks") throw new Error(`fingerprints of the previous disk hashed again still do not compare${reads.kind === "re-hash-previous" ? `: ${reads.reason}` : ""}`);
    changed = reads.changed;
    filled = await rebuildChangedChunks({ repository, disk, source, builds: reads.builds, readRanges: reads.readRanges, zeroRanges: reads.zeroRanges, ...(previous === undefined ? {} : { previous }), signal, progress, task });
  } else {
    // A changed list recording fingerprints over a previous point without usable ones: the previous disk is
    // hashed again while the listed chunks are read, to fill the blocks not read.
    const rehashing = plan.rehashPrevious === true && previous !== undefined ? rehashPrevious() : undefined;
    rehashing?.catch(() => undefined);
    const reads = planReads({ changes: request.changes, plan, chunkSizeBytes: disk.chunkSizeBytes });
    filled = await readWholeChunks({
      disk,
      source,
      ...(reads.kind === "chunks" && reads.ranges !== undefined ? { ranges: reads.ranges } : {}),
      ...(table === undefined ? {} : { table }),
      signal,
      progress,
      task,
    });
    if (rehashing !== undefined) fillFrom = await rehashing;
  }
  if (table !== undefined) {
    if (current !== undefined) table.record(0, current.fingerprints.digests);
    else if (fillFrom !== undefined) table.fillFrom(fillFrom);
    disk.setFingerprints(table.info, table.toDiskFingerprints().digests);
  }
  const seconds = (clock.now().getTime() - startedMs) / 1000;
  return {
    key: request.key,
    counters: backupCounters({ stats: disk.stats, diskSizeBytes: source.sizeBytes, ...filled, seconds }),
    ...(table === undefined ? {} : { fingerprints: table.info }),
    ...(changed === undefined ? {} : { changed }),
  };
}
