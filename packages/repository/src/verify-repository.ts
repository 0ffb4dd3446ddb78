/**
 * Checks that points can be restored: every manifest, index and fingerprints file reads (a fingerprints
 * file with the length its manifest implies), and every chunk they name exists
 * and (unless `quick`) decrypts, decompresses and matches its digest. Each distinct chunk is read once, but
 * every place that uses a damaged chunk is reported: point, disk and byte offset. Changes nothing.
 */
import type { ChunkDigest, PointId } from "@esxbackup/domain";
import type { FixedIndex } from "./fixed-index.js";
import { NoSuchPointError } from "./no-such-point-error.js";
import { hasPointsLog, readPointsLog } from "./points-log.js";
import { listLocks } from "./repository-lock.js";
import { readPointDiskFingerprints } from "./read-disk-fingerprints.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { chunkKey, manifestKey } from "./repository-layout.js";
import { runLimited } from "./run-limited.js";

export interface VerifyProblem {
  /** Absent for a problem of the points log itself. */
  pointId?: PointId;
  diskIndex?: number;
  diskKey?: string;
  /** Where on the disk the damaged chunk starts. */
  offsetBytes?: number;
  /** The damaged or missing file. */
  file: string;
  problem: string;
}

export interface VerifyReport {
  pointsChecked: number;
  chunksChecked: number;
  problems: VerifyProblem[];
  /**
   * Version 3: the points log's length and the digest of its last record. Kept by whoever runs verify (the
   * director), and given back as `knownPointsLog`, they reveal a rollback of the whole storage.
   */
  pointsLog?: PointsLogHead;
}

export interface PointsLogHead {
  records: number;
  headDigest: string;
}

export interface VerifyOptions {
  /** Points to check; all when absent or empty. Unknown ids are refused before anything is checked. */
  pointIds?: readonly PointId[];
  /** Only check that chunks exist. */
  quick?: boolean;
  onProgress?: (progress: { chunksChecked: number; chunksTotal: number }) => void;
  /** A head seen before (a previous report's `pointsLog`): a log that is now shorter, or forked, is reported. */
  knownPointsLog?: PointsLogHead;
}

const PARALLELISM = 8;

export async function verifyRepository(repository: Repository, options: VerifyOptions = {}): Promise<VerifyReport> {
  const all = await repository.listPointIds();
  const selected = options.pointIds !== undefined && options.pointIds.length > 0 ? [...options.pointIds] : all;
  const unknown = selected.filter((id) => !all.includes(id));
  if (unknown.length > 0) throw new NoSuchPointError("point", unknown);

  const problems: VerifyProblem[] = [];
  let pointsLog: PointsLogHead | undefined;
  if (hasPointsLog(repository)) {
    pointsLog = await checkPointsLog(repository, all, new Set(selected), options.knownPointsLog, problems);
  }
  const uses: { pointId: PointId; diskIndex: number; diskKey: string; index: FixedIndex }[] = [];
  for (const pointId of selected) {
    try {
      const point = await repository.readPoint(pointId);
      for (const disk of point.disks) {
        try {
          uses.push({ pointId, diskIndex: disk.index, diskKey: disk.key, index: await repository.readIndex(pointId, disk.index, disk.sizeBytes) });
        } catch (error) {
          problems.push({ pointId, diskIndex: disk.index, diskKey: disk.key, ...describe(error) });
        }
        // Fingerprints are not needed to restore, but the next backup detecting changes relies on them.
        try {
          await readPointDiskFingerprints(repository, point, disk);
        } catch (error) {
          problems.push({ pointId, diskIndex: disk.index, diskKey: disk.key, ...describe(error) });
        }
      }
    } catch (error) {
      problems.push({ pointId, ...describe(error) });
    }
  }

  const checks = new Map<ChunkDigest, { length: number; result?: string | undefined }>();
  for (const use of uses) {
    for (let chunk = 0; chunk < use.index.chunkCount; chunk += 1) {
      if (!use.index.isZero(chunk)) checks.set(use.index.get(chunk), { length: use.index.chunkLength(chunk) });
    }
  }
  let chunksChecked = 0;
  await runLimited([...checks], PARALLELISM, async ([digest, check]) => {
    check.result = await checkChunk(repository, digest, check.length, options.quick === true);
    chunksChecked += 1;
    options.onProgress?.({ chunksChecked, chunksTotal: checks.size });
  });

  for (const use of uses) {
    for (let chunk = 0; chunk < use.index.chunkCount; chunk += 1) {
      if (use.index.isZero(chunk)) continue;
      const digest = use.index.get(chunk);
      const problem = checks.get(digest)?.result;
      if (problem === undefined) continue;
      problems.push({
        pointId: use.pointId,
        diskIndex: use.diskIndex,
        diskKey: use.diskKey,
        offsetBytes: chunk * use.index.chunkSizeBytes,
        file: repository.store.locate(chunkKey(digest)),
        problem,
      });
    }
  }
  return { pointsChecked: selected.length, chunksChecked, problems, ...(pointsLog === undefined ? {} : { pointsLog }) };
}

/**
 * Compares the points log with the manifests present: a point the log says is published but has no manifest
 * is missing; a manifest of a point the log says was pruned is resurrected; a manifest the log never
 * mentions was not published by a version-3 writer. Problems of points outside `selected` are left out.
 */
async function checkPointsLog(
  repository: Repository,
  published: readonly PointId[],
  selected: ReadonlySet<PointId>,
  known: PointsLogHead | undefined,
  problems: VerifyProblem[],
): Promise<PointsLogHead> {
  const log = await readPointsLog(repository);
  for (const problem of log.problems) problems.push(problem);
  const all = selected.size === published.length;
  const manifestFile = (pointId: PointId): string => repository.store.locate(manifestKey(pointId));
  // The manifests were listed before the log was read: a point published or pruned in between is looked
  // at again, and one a writer lock names is being published (or its writer died just after: the next
  // append records it).
  const present = new Set(published);
  const beingWritten = new Set((await listLocks(repository.store, "writer", repository)).map((lock) => lock.record.pointId));
  const stillThere = (pointId: PointId): Promise<boolean> => repository.hasPoint(pointId);
  for (const [pointId, { event, sequence }] of log.points) {
    if (event === "published" && !present.has(pointId) && all && !(await stillThere(pointId))) {
      problems.push({
        pointId,
        file: manifestFile(pointId),
        problem: `missing: the points log publishes it (record ${sequence}) and never prunes it — deleted, or the storage was rolled back`,
      });
    }
  }
  for (const pointId of published) {
    if (!selected.has(pointId)) continue;
    const entry = log.points.get(pointId);
    if (entry === undefined) {
      if (beingWritten.has(pointId)) continue;
      problems.push({ pointId, file: manifestFile(pointId), problem: "not in the points log: this point was never published here (planted, or copied in)" });
    } else if (entry.event === "pruned" && (await stillThere(pointId))) {
      problems.push({
        pointId,
        file: manifestFile(pointId),
        problem: `resurrected: the points log prunes it (record ${entry.sequence}) but its manifest is there — restored from an old copy (or a prune was interrupted: prune it again)`,
      });
    }
  }
  const head = { records: log.records, headDigest: log.headDigest };
  if (known !== undefined) {
    const file = repository.store.locate("log");
    if (log.records < known.records) {
      problems.push({ file, problem: `rolled back: the points log has ${log.records} record(s), ${known.records} were seen before` });
    } else if (known.records > 0 && log.digests[known.records - 1] !== known.headDigest) {
      problems.push({ file, problem: `forked: record ${known.records} is not the one seen before (the storage was replaced or rolled back and written again)` });
    }
  }
  return head;
}

async function checkChunk(repository: Repository, digest: ChunkDigest, length: number, quick: boolean): Promise<string | undefined> {
  try {
    if (quick) return (await repository.store.stat(chunkKey(digest))) === undefined ? "missing" : undefined;
    await repository.readChunk(digest, length);
    return undefined;
  } catch (error) {
    if (error instanceof RepositoryFileError) return error.problem === "missing" ? "missing" : error.message.slice(error.path.length + 2);
    return error instanceof Error ? error.message : String(error);
  }
}

function describe(error: unknown): { file: string; problem: string } {
  if (error instanceof RepositoryFileError) {
    return { file: error.path, problem: error.problem === "missing" ? "missing" : error.message.slice(error.path.length + 2) };
  }
  throw error;
}
