/**
 * The backup pipeline of one disk, whatever the source (a local image, a disk on a host): plans with
 * `planBackup`, reads the previous point's fingerprints only when the plan needs them, lets the source
 * fingerprint the disk when changes are found that way, then reads the chunks to read as runs over N
 * channels, hashing them on the way when the point records fingerprints, into the repository's writer
 * (hash first, compress only new chunks: docs/adr/0006). Everything that can refuse the backup is checked
 * before the writer starts, so a refusal leaves the repository as it was; an error or an abort after that
 * abandons the point.
 */
import type { ByteRange, ChangeFingerprints, Clock, DiskFingerprints, DiskGeometry, FingerprintAlgorithm, PointId, RecoveryPointVm, VmConfigFile } from "@esxbackup/domain";
import { FingerprintHasher, NoSuchPointError, PointWriter, readPointDiskFingerprints } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { backupCounters } from "./backup-counters.js";
import type { BackupCounters } from "./backup-counters.js";
import { BlockFingerprintTable, blockAlignedRunChunks, wholeBlockChunks } from "./block-fingerprint-table.js";
import type { DiskSource, SourceFingerprints } from "./disk-source.js";
import { needsPreviousFingerprints, planBackup, planReads } from "./plan-backup.js";
import type { ChangeSource } from "./plan-backup.js";
import { RUN_BYTES, consecutiveRuns, readsInFlightFor } from "./read-runs.js";

/** Progress of one phase: `fingerprint` (the source hashes the disk) or `backup` (reading and writing). */
export interface BackupProgress {
  start(phase: "fingerprint" | "backup", bytesTotal: number): { update(bytesDone: number): void; stop(): void };
}

export interface BackUpDiskRequest {
  repository: Repository;
  source: DiskSource;
  point: { vm: RecoveryPointVm; host: string; configFiles: VmConfigFile[]; tags: string[]; flushEveryBytes?: number; previousPointId?: PointId };
  disk: { key: string; geometry?: DiskGeometry; adapterType?: string };
  changes: ChangeSource;
  /** The fingerprints to record (see `BackupPlanRequest.requested`). */
  fingerprints?: ChangeFingerprints;
  signal: AbortSignal;
  clock: Clock;
  progress: BackupProgress;
}

export interface BackUpDiskResult {
  point: PointId;
  seconds: number;
  counters: BackupCounters;
  fingerprints?: ChangeFingerprints;
  changed?: { ranges: number; bytes: number };
}

export async function backUpDisk(request: BackUpDiskRequest): Promise<BackUpDiskResult> {
  const { repository, source, signal, clock } = request;
  const startedMs = clock.now().getTime();
  const previousPointId = request.point.previousPointId;
  const planRequest = { changes: request.changes, ...(request.fingerprints === undefined ? {} : { requested: request.fingerprints }), ...(previousPointId === undefined ? {} : { previousPointId }) };
  let previous: { pointId: PointId; diskSizeBytes: number; fingerprints?: DiskFingerprints } | undefined;
  if (needsPreviousFingerprints(planRequest) && previousPointId !== undefined) {
    if (!(await repository.hasPoint(previousPointId))) throw new NoSuchPointError("previous point", [previousPointId]);
    const point = await repository.readPoint(previousPointId);
    const disk = point.disks[0];
    const fingerprints = disk === undefined ? undefined : await readPointDiskFingerprints(repository, point, disk);
    previous = { pointId: previousPointId, diskSizeBytes: disk?.sizeBytes ?? 0, ...(fingerprints === undefined ? {} : { fingerprints }) };
  }
  const plan = planBackup(planRequest, previous);
  const table = plan.record === undefined ? undefined : new BlockFingerprintTable(plan.record, source.sizeBytes);
  const writer = await PointWriter.begin(repository, {
    vm: request.point.vm,
    host: request.point.host,
    configFiles: request.point.configFiles,
    tags: request.point.tags,
    ...(request.point.flushEveryBytes === undefined ? {} : { flushEveryBytes: request.point.flushEveryBytes }),
    ...(previousPointId === undefined ? {} : { previousPointId }),
  });
  const onAbort = (): void => void writer.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  let hasher: FingerprintHasher | undefined;
  let channels: Awaited<ReturnType<DiskSource["openChannels"]>> | undefined;
  try {
    const disk = await writer.openDisk({
      key: request.disk.key,
      name: source.name,
      sizeBytes: source.sizeBytes,
      previousDiskKey: writer.previous?.disks[0]?.key ?? null,
      ...(request.disk.geometry === undefined ? {} : { geometry: request.disk.geometry }),
      ...(request.disk.adapterType === undefined ? {} : { adapterType: request.disk.adapterType }),
    });
    let current: SourceFingerprints | undefined;
    if (plan.fingerprintFirst && plan.record !== undefined) {
      const progress = request.progress.start("fingerprint", source.sizeBytes);
      try {
        current = await source.fingerprint(plan.record, { signal, onProgress: (bytesDone) => progress.update(bytesDone) });
      } finally {
        progress.stop();
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
    const progress = request.progress.start("backup", bytesToRead);
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
        progress.update(bytesDone);
      }
    };
    try {
      await Promise.all(Array.from({ length: inFlight }, (_, channel) => lane(channel)));
    } finally {
      progress.stop();
    }
    if (table !== undefined) {
      if (current !== undefined) table.record(0, current.fingerprints.digests);
      else if (plan.fillFrom !== undefined) table.fillFrom(plan.fillFrom);
      disk.setFingerprints(table.info, table.toDiskFingerprints().digests);
    }
    const point = await writer.commit();
    const seconds = (clock.now().getTime() - startedMs) / 1000;
    return {
      point: point.pointId,
      seconds,
      counters: backupCounters({ stats: writer.stats, diskSizeBytes: source.sizeBytes, bytesRead: bytesToRead, bytesZeroAtSource, chunksRead: chunks.length, seconds }),
      ...(table === undefined ? {} : { fingerprints: table.info }),
      ...(reads.changed === undefined ? {} : { changed: reads.changed }),
    };
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    await hasher?.close();
    await channels?.close();
    signal.removeEventListener("abort", onAbort);
  }
}
