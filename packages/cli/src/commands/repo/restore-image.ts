/**
 * `esxbackup repo restore-image --repo DIR POINT OUT [--disk N] [--format raw|vmdk] [--config-dir DIR]` —
 * writes one disk of a point as a sparse raw image, or as a monolithicFlat VMDK (OUT is the descriptor, the
 * data goes to `<name>-flat.vmdk` beside it); with --config-dir also the point's VM configuration files.
 * Every file it would write is checked before anything is written: an existing one is refused unless
 * --overwrite, and only a regular file is ever replaced; --to-device writes a raw disk onto a block device
 * in place (refused when the device is smaller than the disk).
 */
import type { Command } from "commander";
import { parsePointId } from "@esxbackup/domain";
import type { CommandContext } from "../../command-context.js";
import { RESTORE_FILE_FORMATS, formatRestoreToFile, parseRestoreFileOptions, restoreToFile } from "../restore-to-file.js";
import { usingRepository, withRepoOptions } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoRestoreImage(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("restore-image"))
    .description("restore one disk of a point into a local image file")
    .argument("<point>", "the point id")
    .argument("<out>", "the image to write (for vmdk: the descriptor; data goes to <name>-flat.vmdk)")
    .option("--disk <n>", "which disk of the point (see 'repo show')", "0")
    .option("--format <format>", `one of: ${RESTORE_FILE_FORMATS.join(", ")}`, "raw")
    .option("--config-dir <dir>", "also write the point's VM configuration files (.vmx, .nvram, …) into this folder")
    .option("--overwrite", "replace output files that already exist (only regular files are ever replaced)")
    .option("--to-device", "OUT is a block device: write the raw disk onto it in place (it must be at least as large)")
    .action(async (pointText: string, out: string, options: RepoOptions & { disk: string; format: string; configDir?: string; overwrite?: boolean; toDevice?: boolean }) => {
      const pointId = parsePointId(pointText);
      const { diskIndex, format } = parseRestoreFileOptions(options);
      const toDevice = options.toDevice === true;
      await usingRepository(options, context, async (repository) => {
        const result = await restoreToFile(repository, context, {
          pointId,
          diskIndex,
          out,
          format,
          overwrite: options.overwrite === true,
          toDevice,
          ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
        });
        context.stderr.write(formatRestoreToFile(result, { toDevice }));
        if (options.configDir !== undefined) context.stderr.write(`wrote ${result.configFiles} configuration file(s) to ${options.configDir}\n`);
      });
    });
}
