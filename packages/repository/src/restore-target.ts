/**
 * What a restore may write to, decided before anything is written: a backup tool must never destroy what
 * is at its output path by accident. A path that does not exist is fine. An existing regular file is
 * replaced only when the caller says so (`overwrite`). A block device is written in place only when the
 * caller says so (`toDevice`) and only when it is large enough. Anything else (a folder, a character
 * device such as /dev/null, a symbolic link, a pipe, a socket) is never replaced.
 */
import { lstat, readFile } from "node:fs/promises";
import type { Stats } from "node:fs";
import { InvalidInputError } from "@esxbackup/domain";

export interface RestoreTargetOptions {
  /** Replace an existing regular file. */
  overwrite?: boolean;
  /** The path is a block device to write in place. */
  toDevice?: boolean;
  /** The flag or argument named in errors (default "output"). */
  field?: string;
}

export type RestoreTarget = { kind: "new" } | { kind: "file" } | { kind: "device"; sizeBytes: number };

/** Throws an `InvalidInputError` when `path` may not be written under `options`; changes nothing. */
export async function checkRestoreTarget(path: string, options: RestoreTargetOptions = {}): Promise<RestoreTarget> {
  const field = options.field ?? "output";
  const stats = await lstatOrUndefined(path, field);
  if (options.toDevice === true) {
    if (stats === undefined) throw new InvalidInputError("--to-device", `${path} does not exist`);
    if (!stats.isBlockDevice()) throw new InvalidInputError("--to-device", `${path} is ${describe(stats)}, not a block device`);
    return { kind: "device", sizeBytes: await blockDeviceSizeBytes(stats, path) };
  }
  if (stats === undefined) {
    const partial = await lstatOrUndefined(`${path}.partial`, field);
    if (partial !== undefined) {
      throw new InvalidInputError(field, `${path}.partial exists (left by an interrupted restore?); remove it, a restore never writes over it`);
    }
    return { kind: "new" };
  }
  if (stats.isBlockDevice()) {
    throw new InvalidInputError(field, `${path} is a block device; give --to-device to write the disk onto it (its contents are replaced)`);
  }
  if (!stats.isFile()) throw new InvalidInputError(field, `${path} is ${describe(stats)}; a restore never replaces it`);
  if (options.overwrite !== true) throw new InvalidInputError(field, `${path} already exists; give --overwrite to replace it`);
  return { kind: "file" };
}

/**
 * The size of a block device: its `stat` says 0, the kernel's sysfs entry for its device number says how
 * many 512-byte sectors it has (Linux).
 */
export async function blockDeviceSizeBytes(stats: Stats, path: string): Promise<number> {
  const major = Math.floor(stats.rdev / 256) & 0xfff;
  const minor = (stats.rdev & 0xff) | (Math.floor(stats.rdev / 4096) & 0xfff00);
  const sysfs = `/sys/dev/block/${major}:${minor}/size`;
  try {
    return Number((await readFile(sysfs, "utf8")).trim()) * 512;
  } catch (error) {
    throw new InvalidInputError("device", `cannot tell the size of ${path} (${sysfs}: ${(error as { code?: string }).code ?? String(error)})`);
  }
}

function describe(stats: Stats): string {
  if (stats.isDirectory()) return "a folder";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (stats.isFIFO()) return "a named pipe";
  if (stats.isSocket()) return "a socket";
  if (stats.isBlockDevice()) return "a block device";
  return "a regular file";
}

async function lstatOrUndefined(path: string, field: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") return undefined;
    throw new InvalidInputError(field, `cannot inspect ${path} (${code ?? String(error)})`);
  }
}
