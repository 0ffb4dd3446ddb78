/**
 * One disk of a point being backed up, in two steps. `planPointDisk`, before the point's writer starts:
 * finds the previous point's disk of the same key, reads its fingerprints only when the plan uses them and
 * plans (`planBackup`), so a refusal leaves the repository untouched. `backUpPlannedDisk`, within the open
 * writer: lets the source fingerprint the disk when changes are found that way, and fills the disk's chunks
 * from the changed blocks only (`rebuildChangedChunks`) — stretch by stretch as the source's fingerprint
 * parts come in (docs/adr/0028), or, when the previous point's fingerprints cannot be compared as recorded,
 * after hashing its disk again from the repository — or by reading whole chunks (`readWholeChunks`) when
 * changes are listed or unknown, and for a disk's first backup where the source fingerprints what it reads
 * (docs/adr/0038).
 */
import type { ChangeFingerprints, DiskFingerprints, DiskGeometry, FingerprintAlgorithm, PointId, RecoveryPoint, RecoveryPointDisk } from "@esxbackup/domain";
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
import { AsyncFeed } from "./async-feed.js";
import { FingerprintAssembler, planStretch, segmentUnitBytes } from "./fingerprint-segments.js";
import type { DiskStretch } from "./fingerprint-segments.js";
import { incomparable } from "./plan-disk-changes.js";
import { rebuildChangedChunks } from "./rebuild-changed-chunks.js";
import type { ChangeSegment } from "./rebuild-changed-chunks.js";

/** Hash commands at once while a disk's first backup reads it (docs/adr/0028). */
export const FIRST_BACKUP_HASH_LANES = 1;

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
    ...(request.fingerprints !== undefined && request.source.fingerprintsWhileReading?.(request.fingerprints) === true ? { sourceFingerprintsWhileReading: true } : {}),
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
    const hashing = progress.start({ ...task, disk: `${task.disk} (previous point)`, phase: "fingerprint", bytesTotal: previous.diskSizeBytes, fromRepository: true });
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
  const unitBytes = plan.record === undefined ? undefined : segmentUnitBytes(disk.chunkSizeBytes, plan.record.blockSizeBytes);
  const comparableAsRecorded = previous === undefined || (plan.compareWith !== undefined && plan.record !== undefined && incomparable({ sizeBytes: previous.diskSizeBytes, fingerprints: plan.compareWith }, plan.record) === undefined);
  if (plan.fingerprintFirst && plan.record !== undefined && unitBytes !== undefined && plan.rehashPrevious !== true && comparableAsRecorded) {
    // The usual case: the changed blocks of each stretch the source has hashed are read while it hashes the rest.
    const kind = plan.record;
    const hashing = progress.start({ ...task, phase: "fingerprint", bytesTotal: source.sizeBytes });
    const assembler = new FingerprintAssembler({ algorithm: kind.algorithm as FingerprintAlgorithm, blockSizeBytes: kind.blockSizeBytes }, source.sizeBytes, unitBytes);
    const stretches = new AsyncFeed<DiskStretch>();
    const stopHashing = new AbortController();
    const onAbort = (): void => stopHashing.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    let partsReported = 0;
    const fingerprinting = source
      .fingerprint(kind, {
        signal: stopHashing.signal,
        onProgress: (bytesDone) => hashing.update(bytesDone),
        // A first backup reads every non-zero block: one hash command stays ahead of the reads and leaves
        // the host's CPU and channels to them. An incremental reads little: its hashing is what takes long.
        ...(previous === undefined ? { lanes: FIRST_BACKUP_HASH_LANES } : {}),
        onPart: (part) => {
          partsReported += 1;
          stretches.push(...assembler.add(part));
        },
      })
      .then((whole) => {
        // A source that reports no parts is planned whole, once it is done.
        if (partsReported === 0) stretches.push(...assembler.add({ offsetBytes: 0, lengthBytes: source.sizeBytes, digests: whole.fingerprints.digests, zeroBlocks: whole.zeroBlocks }));
        if (!assembler.complete) throw new Error(`${source.label}: the fingerprint parts do not cover the disk`);
        stretches.end();
        return whole;
      })
      .finally(() => hashing.stop());
    fingerprinting.catch((error: unknown) => stretches.fail(error));
    const counted = { ranges: 0, bytes: 0 };
    const compareWith = plan.compareWith;
    const segments = async function* (): AsyncGenerator<ChangeSegment> {
      for await (const stretch of stretches) {
        const reads = planStretch(
          { chunkSizeBytes: disk.chunkSizeBytes, current: assembler.current(), ...(previous === undefined || compareWith === undefined ? {} : { previous: { sizeBytes: previous.diskSizeBytes, fingerprints: compareWith } }) },
          stretch,
        );
        if (reads.kind !== "read") throw new Error(`the previous disk's fingerprints do not compare: ${reads.reason}`);
        counted.ranges += reads.readRanges.length;
        counted.bytes += reads.readRanges.reduce((sum, range) => sum + range.lengthBytes, 0) + reads.zeroBytesSkipped;
        yield {
          firstChunk: stretch.startBytes / disk.chunkSizeBytes,
          endChunk: Math.ceil(stretch.endBytes / disk.chunkSizeBytes),
          builds: reads.chunks,
          readRanges: reads.readRanges,
          zeroRanges: reads.zeroRanges,
        };
      }
    };
    try {
      filled = await rebuildChangedChunks({ repository, disk, source, segments: segments(), ...(previous === undefined ? {} : { previous }), signal, progress, task });
      current = await fingerprinting;
    } catch (error) {
      stopHashing.abort(error);
      await fingerprinting.catch(() => undefined);
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    changed = counted;
  } else if (plan.fingerprintFirst && plan.record !== undefined) {
    // Fingerprints of the previous disk to compute again first, or sizes that do not nest: planned whole.
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
    const bytesToRead = reads.readRanges.reduce((sum, range) => sum + range.lengthBytes, 0);
    filled = await rebuildChangedChunks({
      repository,
      disk,
      source,
      segments: [{ firstChunk: 0, endChunk: disk.chunkCount, builds: reads.builds, readRanges: reads.readRanges, zeroRanges: reads.zeroRanges }],
      bytesToRead,
      ...(previous === undefined ? {} : { previous }),
      signal,
      progress,
      task,
    });
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
      ...(plan.hashedBySource === true ? { hashedBySource: true } : {}),
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
