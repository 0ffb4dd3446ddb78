/**
 * One disk of a point being backed up, in two steps. `planPointDisk`, before the point's writer starts:
 * finds the previous point's disk of the same key, reads its fingerprints only when the plan uses them and
 * plans (`planBackup`), so a refusal leaves the repository untouched. `backUpPlannedDisk`, within the open
 * writer: lets the source fingerprint the disk when changes are found that way, then reads the chunks to
 * read as runs over N channels, hashing them on the way when the point records fingerprints, into the
 * disk's writer (hash first, compress only new chunks: docs/adr/0006).
 */
import type { ByteRange, ChangeFingerprints, DiskFingerprints, DiskGeometry, FingerprintAlgorithm, PointId, RecoveryPoint, RecoveryPointDisk } from "@esxbackup/domain";
import { FingerprintHasher, readPointDiskFingerprints } from "@esxbackup/repository";
import type { DiskWriter, PointWriter, Repository } from "@esxbackup/repository";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { backupCounters } from "./backup-counters.js";
import { BlockFingerprintTable, blockAlignedRunChunks, wholeBlockChunks } from "./block-fingerprint-table.js";
import type { BackupCounters } from "./backup-counters.js";
import type { DiskChannels, DiskSource, SourceFingerprints } from "./disk-source.js";
import { needsPreviousFingerprints, planBackup, planReads } from "./plan-backup.js";
import type { BackupPlan, BackupPlanRequest, ChangeSource } from "./plan-backup.js";
import { RUN_BYTES, consecutiveRuns, readsInFlightFor } from "./read-runs.js";

export interface PointDiskRequest {
  /** The disk's place in the VM (`scsi0:0`); the previous point's disk with the same key is its base. */
  key: string;
  source: DiskSource;
  changes: ChangeSource;
  /** The fingerprints to record (see `BackupPlanRequest.requested`). */
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
  /** The previous point's disk of the same key, when the plan needed its fingerprints. */
  previous?: { pointId: PointId; diskSizeBytes: number; fingerprints?: DiskFingerprints };
}

export async function planPointDisk(repository: Repository, previousPoint: RecoveryPoint | undefined, request: PointDiskRequest): Promise<PlannedDisk> {
  // A disk new since the previous point (no disk of its key there) is that disk's first backup.
  const previousDisk: RecoveryPointDisk | undefined = previousPoint?.disks.find((disk) => disk.key === request.key);
  const planRequest: BackupPlanRequest = {
    changes: request.changes,
    ...(request.fingerprints === undefined ? {} : { requested: request.fingerprints }),
    ...(previousPoint === undefined || previousDisk === undefined ? {} : { previousPointId: previousPoint.pointId }),
  };
  let previous: PlannedDisk["previous"];
  if (previousPoint !== undefined && previousDisk !== undefined && needsPreviousFingerprints(planRequest)) {
    const fingerprints = await readPointDiskFingerprints(repository, previousPoint, previousDisk);
    previous = { pointId: previousPoint.pointId, diskSizeBytes: previousDisk.sizeBytes, ...(fingerprints === undefined ? {} : { fingerprints }) };
  }
  const plan = planBackup(planRequest, previous);
  return { request, plan, ...(previous === undefined ? {} : { previous }) };
}

export async function backUpPlannedDisk(input: {
  writer: PointWriter;
  planned: PlannedDisk;
  signal: AbortSignal;
  clock: { now(): Date };
  progress: ProgressReporter;
  vm: string;
}): Promise<PointDiskResult> {
  const { writer, planned, signal, clock } = input;
  const { request, plan, previous } = planned;
  const { source } = request;
  const startedMs = clock.now().getTime();
  const label = `${request.key} ${source.name}`;
  const table = plan.record === undefined ? undefined : new BlockFingerprintTable(plan.record, source.sizeBytes);
  const disk: DiskWriter = await writer.openDisk({
    key: request.key,
    name: source.name,
    sizeBytes: source.sizeBytes,
    ...(request.geometry === undefined ? {} : { geometry: request.geometry }),
    ...(request.adapterType === undefined ? {} : { adapterType: request.adapterType }),
  });
  let hasher: FingerprintHasher | undefined;
  let channels: DiskChannels | undefined;
  try {
    let current: SourceFingerprints | undefined;
    if (plan.fingerprintFirst && plan.record !== undefined) {
      const task = input.progress.start({ phase: "fingerprint", vm: input.vm, disk: label, bytesTotal: source.sizeBytes });
      try {
        current = await source.fingerprint(plan.record, { signal, onProgress: (bytesDone) => task.update(bytesDone) });
      } finally {
        task.stop();
      }
    }
    const reads = planReads({
      changes: request.changes,
      plan,
      chunkSizeBytes: disk.chunkSizeBytes,
      ...(current === undefined ? {} : { current }),
      ...(previous === undefined ? {} : { previous }),
    });
    // Hashing what is read needs every block a read touches read whole.
    const block = plan.hashWhileReading ? plan.record?.blockSizeBytes : undefined;
    const zeroChunks = new Set(reads.zeroChunks);
    let chunks = disk.chunksToRead(reads.ranges as ByteRange[] | undefined).filter((chunk) => !zeroChunks.has(chunk));
    if (block !== undefined) chunks = wholeBlockChunks(chunks, disk.chunkSizeBytes, block, disk.chunkCount);
    let bytesZeroAtSource = 0;
    for (const run of consecutiveRuns(reads.zeroChunks, blockAlignedRunChunks(RUN_BYTES, disk.chunkSizeBytes, undefined))) {
      const length = (run.count - 1) * disk.chunkSizeBytes + disk.chunkLength(run.first + run.count - 1);
      await disk.writeChunks(run.first, new Uint8Array(length));
      bytesZeroAtSource += length;
    }
    const runs = consecutiveRuns(chunks, blockAlignedRunChunks(RUN_BYTES, disk.chunkSizeBytes, block));
    const bytesToRead = chunks.reduce((sum, chunk) => sum + disk.chunkLength(chunk), 0);
    if (plan.hashWhileReading && plan.record !== undefined) hasher = new FingerprintHasher(plan.record.algorithm as FingerprintAlgorithm, plan.record.blockSizeBytes);
    const inFlight = readsInFlightFor(runs, disk.chunkSizeBytes);
    const maxRunBytes = runs.reduce((most, run) => Math.max(most, run.count * disk.chunkSizeBytes), 0);
    const opened = await source.openChannels(inFlight, maxRunBytes);
    channels = opened;
    const task = input.progress.start({ phase: "backup", vm: input.vm, disk: label, bytesTotal: bytesToRead });
    let next = 0;
    let bytesDone = 0;
    const lane = async (channel: number): Promise<void> => {
      while (next < runs.length) {
        signal.throwIfAborted();
        const run = runs[next++] as { first: number; count: number };
        const length = (run.count - 1) * disk.chunkSizeBytes + disk.chunkLength(run.first + run.count - 1);
        let data = await opened.read(channel, run.first * disk.chunkSizeBytes, length);
        if (hasher !== undefined && table !== undefined) {
          const hashed = await hasher.hash(data);
          table.record(run.first * disk.chunkSizeBytes, hashed.digests);
          data = hashed.data;
        }
        await disk.writeChunks(run.first, data);
        bytesDone += length;
        task.update(bytesDone, {
          bytesRead: bytesDone,
          bytesSent: bytesDone,
          bytesWritten: disk.stats.bytesStored,
          bytesSkippedZero: disk.stats.bytesSkippedZero,
          bytesSkippedUnchanged: disk.stats.bytesTakenOver,
          bytesDeduplicated: disk.stats.bytesDeduplicated,
        });
      }
    };
    try {
      await Promise.all(Array.from({ length: inFlight }, (_, channel) => lane(channel)));
    } finally {
      task.stop();
    }
    if (table !== undefined) {
      if (current !== undefined) table.record(0, current.fingerprints.digests);
      else if (plan.fillFrom !== undefined) table.fillFrom(plan.fillFrom);
      disk.setFingerprints(table.info, table.toDiskFingerprints().digests);
    }
    const seconds = (clock.now().getTime() - startedMs) / 1000;
    return {
      key: request.key,
      counters: backupCounters({ stats: disk.stats, diskSizeBytes: source.sizeBytes, bytesRead: bytesToRead, bytesZeroAtSource, chunksRead: chunks.length, seconds }),
      ...(table === undefined ? {} : { fingerprints: table.info }),
      ...(reads.changed === undefined ? {} : { changed: reads.changed }),
    };
  } finally {
    await hasher?.close();
    await channels?.close();
  }
}
