/**
 * Writes a point's VM configuration files into a folder for `repo restore-image --config-dir`. The names
 * come from a manifest, which is input like any other: each must be a plain file name (no path separator,
 * not `.` or `..`, docs/repository-format.md §7), and an existing file is replaced only with --overwrite and
 * only if it is a regular file. `checkConfigFilesTarget` refuses before anything is restored;
 * `writeConfigFiles` creates each file exclusively unless overwriting.
 */
import { lstat, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError, configFileNameProblem } from "@esxbackup/domain";
import type { PointId, VmConfigFile } from "@esxbackup/domain";
import { checkRestoreTarget } from "@esxbackup/repository";

const OPTION = "--config-dir";

/** Throws an InvalidInputError when a name is unsafe or repeated, `dir` is not a folder, or a file is already there. */
export async function checkConfigFilesTarget(dir: string, pointId: PointId, files: readonly VmConfigFile[], options: { overwrite?: boolean } = {}): Promise<void> {
  const names = new Set<string>();
  for (const file of files) {
    const problem = configFileNameProblem(file.name);
    if (problem !== undefined) throw new InvalidInputError(OPTION, `point ${pointId} holds a configuration file whose name ${problem}; it is not written anywhere`);
    if (names.has(file.name)) throw new InvalidInputError(OPTION, `point ${pointId} holds two configuration files named ${JSON.stringify(file.name)}`);
    names.add(file.name);
  }
  const folder = await statOrUndefined(dir);
  if (folder === undefined) return;
  if (!folder.isDirectory()) throw new InvalidInputError(OPTION, `${dir} exists and is not a folder`);
  for (const file of files) await checkRestoreTarget(join(dir, file.name), { overwrite: options.overwrite === true, field: OPTION });
}

/** Creates `dir` if needed, then each file exclusively; run `checkConfigFilesTarget` first. */
export async function writeConfigFiles(dir: string, pointId: PointId, files: readonly VmConfigFile[], options: { overwrite?: boolean } = {}): Promise<void> {
  await checkConfigFilesTarget(dir, pointId, files, options);
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const target = join(dir, file.name);
    try {
      await writeFile(target, file.content, { flag: options.overwrite === true ? "w" : "wx" });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "EEXIST") throw new InvalidInputError(OPTION, `${target} already exists; give --overwrite to replace it`);
      throw new InvalidInputError(OPTION, `cannot write ${target} (${code ?? String(error)})`);
    }
  }
}

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new InvalidInputError(OPTION, `cannot inspect ${path} (${(error as { code?: string }).code ?? String(error)})`);
  }
}
