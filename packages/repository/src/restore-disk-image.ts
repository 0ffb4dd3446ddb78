/**
 * Restores one disk of a point into a local raw image file, sparse: the file is sized first and only
 * non-zero chunks are written, so zero ranges stay holes. Written to `<path>.partial` and renamed when
 * complete, so a failed restore never leaves a plausible-looking image.
 */
import { constants } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import type { PointId } from "@esxbackup/domain";
import { DiskReader } from "./disk-reader.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { runLimited } from "./run-limited.js";

export interface RestoreProgress {
  bytesDone: number;
  bytesTotal: number;
}

export async function restoreDiskImage(
  repository: Repository,
  pointId: PointId,
  diskIndex: number,
  path: string,
  options: { onProgress?: (progress: RestoreProgress) => void; signal?: AbortSignal; padToBytes?: number } = {},
): Promise<{ sizeBytes: number; bytesWritten: number }> {
  const reader = await DiskReader.open(repository, pointId, diskIndex);
  const partial = `${path}.partial`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  } catch (error) {
    throw new RepositoryFileError("io", partial, `cannot create (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  let bytesWritten = 0;
  let bytesDone = 0;
  try {
    const sizeBytes = Math.max(reader.sizeBytes, options.padToBytes ?? 0);
    await handle.truncate(sizeBytes);
    const chunks = Array.from({ length: reader.index.chunkCount }, (_, chunk) => chunk);
    await runLimited(chunks, 8, async (chunk) => {
      options.signal?.throwIfAborted();
      const data = await reader.readChunkOrZero(chunk);
      if (data !== undefined) {
        await (handle as FileHandle).write(data, 0, data.byteLength, chunk * reader.index.chunkSizeBytes);
        bytesWritten += data.byteLength;
      }
      bytesDone += reader.index.chunkLength(chunk);
      options.onProgress?.({ bytesDone, bytesTotal: reader.sizeBytes });
    });
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(partial, path);
    return { sizeBytes, bytesWritten };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    if (error instanceof Error && error.name === "AbortError") throw error;
    if (error instanceof RepositoryFileError) throw error;
    throw new RepositoryFileError("io", partial, `restore failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
