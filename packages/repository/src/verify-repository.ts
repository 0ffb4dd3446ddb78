/**
 * Checks that points can be restored: every manifest, index and fingerprints file reads (a fingerprints
 * file with the length its manifest implies), and every chunk they name exists
 * and (unless `quick`) decrypts, decompresses and matches its digest. Each distinct chunk is read once, but
 * every place that uses a damaged chunk is reported: point, disk and byte offset. Changes nothing.
 */
import type { ChunkDigest, PointId } from "@esxbackup/domain";
import type { FixedIndex } from "./fixed-index.js";
import { NoSuchPointError } from "./no-such-point-error.js";
import { readPointDiskFingerprints } from "./read-disk-fingerprints.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { chunkKey } from "./repository-layout.js";
import { runLimited } from "./run-limited.js";

export interface VerifyProblem {
  pointId: PointId;
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
}

export interface VerifyOptions {
  /** Points to check; all when absent or empty. Unknown ids are refused before anything is checked. */
  pointIds?: readonly PointId[];
  /** Only check that chunks exist. */
  quick?: boolean;
  onProgress?: (progress: { chunksChecked: number; chunksTotal: number }) => void;
}

const PARALLELISM = 8;

export async function verifyRepository(repository: Repository, options: VerifyOptions = {}): Promise<VerifyReport> {
  const all = await repository.listPointIds();
  const selected = options.pointIds !== undefined && options.pointIds.length > 0 ? [...options.pointIds] : all;
  const unknown = selected.filter((id) => !all.includes(id));
  if (unknown.length > 0) throw new NoSuchPointError("point", unknown);

  const problems: VerifyProblem[] = [];
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
  return { pointsChecked: selected.length, chunksChecked, problems };
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
