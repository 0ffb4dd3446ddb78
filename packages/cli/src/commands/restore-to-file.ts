/**
 * Restores one disk of a point into a local file: a sparse raw image, or a monolithicFlat VMDK (`out` is the
 * descriptor, the data goes to `<name>-flat.vmdk` beside it), optionally with the point's configuration
 * files into a folder. The one implementation behind `repo restore-image` and `restore --to-file`.
 *
 * Safety (docs/adr/0013): every file it would write is checked before the first byte; an existing file is
 * refused unless `overwrite`, and only a regular file is ever replaced; `toDevice` writes a raw disk onto a
 * block device in place (refused when the device is smaller than the disk).
 */
import { stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InvalidInputError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { checkRestoreTarget, restoreDiskImage, vmdkDescriptor } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import type { CommandContext } from "../command-context.js";
import { checkConfigFilesTarget, writeConfigFiles } from "./repo/restore-config-files.js";
import { formatBytes } from "./repo/open-repository.js";
import { formatRate, startTransfer } from "./repo/transfer-meter.js";

export const RESTORE_FILE_FORMATS = ["raw", "vmdk"] as const;
export type RestoreFileFormat = (typeof RESTORE_FILE_FORMATS)[number];

export interface RestoreToFileRequest {
  pointId: PointId;
  diskIndex: number;
  out: string;
  format: RestoreFileFormat;
  overwrite: boolean;
  toDevice: boolean;
  /** Also write the point's configuration files into this folder. */
  configDir?: string;
  /** How the disk option is spelled in errors (`--disk`). */
  diskOption?: string;
  /** How the output is named in errors: `--to-file` in `restore` (default "output", `repo restore-image`'s argument). */
  outputOption?: string;
}

export interface RestoreToFileResult {
  /** The file the disk's bytes went to (the flat file of a VMDK). */
  target: string;
  sizeBytes: number;
  bytesWritten: number;
  seconds: number;
  configFiles: number;
}

/** Parses `--format` and `--disk` the same way for every command that restores to a file. */
export function parseRestoreFileOptions(options: { disk: string; format: string; toDevice?: boolean }): { diskIndex: number; format: RestoreFileFormat } {
  if (!/^\d+$/.test(options.disk)) throw new InvalidInputError("--disk", `must be a disk number (got ${JSON.stringify(options.disk)})`);
  if (!(RESTORE_FILE_FORMATS as readonly string[]).includes(options.format)) {
    throw new InvalidInputError("--format", `must be one of ${RESTORE_FILE_FORMATS.join(", ")} (got ${JSON.stringify(options.format)})`);
  }
  if (options.toDevice === true && options.format !== "raw") throw new InvalidInputError("--to-device", "writes a raw disk; it cannot be combined with --format vmdk");
  return { diskIndex: Number(options.disk), format: options.format as RestoreFileFormat };
}

export async function restoreToFile(repository: Repository, context: CommandContext, request: RestoreToFileRequest): Promise<RestoreToFileResult> {
  const { pointId, diskIndex, out, overwrite, toDevice } = request;
  if (!(await repository.hasPoint(pointId))) throw new InvalidInputError("point", `no such recovery point: ${pointId}`);
  const point = await repository.readPoint(pointId);
  const disk = point.disks[diskIndex];
  if (disk === undefined) throw new InvalidInputError(request.diskOption ?? "--disk", `point ${pointId} has ${point.disks.length} disk(s), numbered from 0`);
  const vmdk = request.format === "vmdk";
  const flatName = `${basename(out).replace(/\.vmdk$/i, "")}-flat.vmdk`;
  const target = vmdk ? join(dirname(out), flatName) : out;
  // Every file this restore writes, checked before the first byte is written.
  const field = request.outputOption ?? "output";
  await checkOutputFolder(target, field);
  await checkRestoreTarget(target, { overwrite, toDevice, field });
  if (vmdk) await checkRestoreTarget(out, { overwrite, field });
  if (request.configDir !== undefined) await checkConfigFilesTarget(request.configDir, pointId, point.configFiles, { overwrite });
  const { meter, progress } = startTransfer(context, "restore", disk.sizeBytes);
  let result;
  try {
    result = await restoreDiskImage(repository, pointId, diskIndex, target, {
      onProgress: (p) => progress.update(p.bytesDone),
      signal: context.signal,
      overwrite,
      toDevice,
      field,
      ...(vmdk ? { padToBytes: Math.ceil(disk.sizeBytes / 512) * 512 } : {}),
    });
  } finally {
    progress.stop();
  }
  if (vmdk) {
    await writeFile(
      out,
      vmdkDescriptor({
        flatFileName: flatName,
        sizeBytes: disk.sizeBytes,
        ...(disk.geometry === undefined ? {} : { geometry: disk.geometry }),
        ...(disk.adapterType === undefined ? {} : { adapterType: disk.adapterType }),
      }),
      { flag: overwrite ? "w" : "wx" },
    );
  }
  const seconds = meter.elapsedSeconds;
  if (request.configDir !== undefined) await writeConfigFiles(request.configDir, pointId, point.configFiles, { overwrite });
  return { target, sizeBytes: disk.sizeBytes, bytesWritten: result.bytesWritten, seconds, configFiles: request.configDir === undefined ? 0 : point.configFiles.length };
}

/** The folder the output goes into must exist: a restore creates files, never folders (a mistyped path stays a mistake). */
async function checkOutputFolder(file: string, field: string): Promise<void> {
  const folder = dirname(file);
  let isFolder: boolean;
  try {
    isFolder = (await stat(folder)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    isFolder = false;
  }
  if (!isFolder) throw new InvalidInputError(field, `${folder} is not an existing folder to write ${basename(file)} into; nothing was written`);
}

/** The line both commands print when a file restore is done. */
export function formatRestoreToFile(result: RestoreToFileResult, options: { toDevice: boolean }): string {
  const rest = options.toDevice ? "" : ", the rest sparse";
  const rate = formatRate(result.seconds > 0 ? result.sizeBytes / result.seconds : 0);
  return `restored ${formatBytes(result.sizeBytes)} (${formatBytes(result.bytesWritten)} written${rest}) to ${result.target} in ${result.seconds.toFixed(1)} s (${rate})\n`;
}
