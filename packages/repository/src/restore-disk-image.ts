/**
 * Restores one disk of a point into a local raw image file, sparse: the file is sized first and only
 * non-zero chunks are written, so zero ranges stay holes. Written to `<path>.partial` (created, never
 * reused) and moved to `path` when complete, so a failed restore never leaves a plausible-looking image.
 * What is at `path` is checked first (`checkRestoreTarget`): an existing file is replaced only with
 * `overwrite`, and never anything but a regular file. With `toDevice` the disk is written in place onto
 * a block device at least as large, zero chunks included (a device is not sparse and holds old data).
 */
import { constants } from "node:fs";
import { link, lstat, open, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { InvalidInputError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { DiskReader } from "./disk-reader.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { checkRestoreTarget } from "./restore-target.js";
import type { RestoreTargetOptions } from "./restore-target.js";
import { runLimited } from "./run-limited.js";

export interface RestoreProgress {
  bytesDone: number;
  bytesTotal: number;
}

export interface RestoreImageOptions extends RestoreTargetOptions {
  onProgress?: (progress: RestoreProgress) => void;
  signal?: AbortSignal;
  padToBytes?: number;
}

export async function restoreDiskImage(
  repository: Repository,
  pointId: PointId,
  diskIndex: number,
  path: string,
  options: RestoreImageOptions = {},
): Promise<{ sizeBytes: number; bytesWritten: number }> {
  const target = await checkRestoreTarget(path, options);
  const reader = await DiskReader.open(repository, pointId, diskIndex);
  const sizeBytes = Math.max(reader.sizeBytes, options.padToBytes ?? 0);
  if (target.kind === "device" && target.sizeBytes < sizeBytes) {
    throw new InvalidInputError("--to-device", `${path} holds ${target.sizeBytes} bytes; the disk needs ${sizeBytes}`);
  }
  const device = target.kind === "device";
  const writePath = device ? path : `${path}.partial`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(writePath, device ? constants.O_WRONLY : constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (error) {
    throw new RepositoryFileError("io", writePath, `cannot ${device ? "open" : "create"} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  let bytesWritten = 0;
  let bytesDone = 0;
  try {
    if (!device) await handle.truncate(sizeBytes);
    const zeros = device ? Buffer.alloc(reader.index.chunkSizeBytes) : undefined;
    const chunks = Array.from({ length: reader.index.chunkCount }, (_, chunk) => chunk);
    await runLimited(chunks, 8, async (chunk) => {
      options.signal?.throwIfAborted();
      const data = (await reader.readChunkOrZero(chunk)) ?? zeros?.subarray(0, reader.index.chunkLength(chunk));
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
    if (!device) await publish(writePath, path, options);
    return { sizeBytes, bytesWritten };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (!device) await unlink(writePath).catch(() => undefined);
    if (error instanceof Error && error.name === "AbortError") throw error;
    if (error instanceof RepositoryFileError || error instanceof InvalidInputError) throw error;
    throw new RepositoryFileError("io", writePath, `restore failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Moves the finished image to `path`. Without `overwrite` it is linked there, which fails if anything
 * appeared at `path` meanwhile; with it, `path` is renamed over only if it is still a regular file.
 */
async function publish(partial: string, path: string, options: RestoreTargetOptions): Promise<void> {
  const field = options.field ?? "output";
  if (options.overwrite === true) {
    const now = await lstat(path).catch(() => undefined);
    if (now !== undefined && !now.isFile()) throw new InvalidInputError(field, `${path} was replaced by something other than a regular file during the restore; it is left as it is`);
    await rename(partial, path);
    return;
  }
  try {
    await link(partial, path);
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") throw new InvalidInputError(field, `${path} appeared during the restore; it is left as it is`);
    throw error;
  }
  await unlink(partial);
}
