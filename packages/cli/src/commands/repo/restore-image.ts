/**
 * `esxbackup repo restore-image --repo DIR POINT OUT [--disk N] [--format raw|vmdk] [--config-dir DIR]` —
 * writes one disk of a point as a sparse raw image, or as a monolithicFlat VMDK (OUT is the descriptor, the
 * data goes to `<name>-flat.vmdk` beside it); with --config-dir also the point's VM configuration files.
 * Every file it would write is checked before anything is written: an existing one is refused unless
 * --overwrite, and only a regular file is ever replaced; --to-device writes a raw disk onto a block device
 * in place (refused when the device is smaller than the disk).
 */
import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { InvalidInputError, parsePointId } from "@esxbackup/domain";
import { checkRestoreTarget, restoreDiskImage, vmdkDescriptor } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { checkConfigFilesTarget, writeConfigFiles } from "./restore-config-files.js";
import { formatBytes, usingRepository, withRepoOptions } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";
import { formatRate, startTransfer } from "./transfer-meter.js";

const FORMATS = ["raw", "vmdk"] as const;

export function registerRepoRestoreImage(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("restore-image"))
    .description("restore one disk of a point into a local image file")
    .argument("<point>", "the point id")
    .argument("<out>", "the image to write (for vmdk: the descriptor; data goes to <name>-flat.vmdk)")
    .option("--disk <n>", "which disk of the point (see 'repo show')", "0")
    .option("--format <format>", `one of: ${FORMATS.join(", ")}`, "raw")
    .option("--config-dir <dir>", "also write the point's VM configuration files (.vmx, .nvram, …) into this folder")
    .option("--overwrite", "replace output files that already exist (only regular files are ever replaced)")
    .option("--to-device", "OUT is a block device: write the raw disk onto it in place (it must be at least as large)")
    .action(async (pointText: string, out: string, options: RepoOptions & { disk: string; format: string; configDir?: string; overwrite?: boolean; toDevice?: boolean }) => {
      const pointId = parsePointId(pointText);
      if (!/^\d+$/.test(options.disk)) throw new InvalidInputError("--disk", `must be a disk number (got ${JSON.stringify(options.disk)})`);
      if (!(FORMATS as readonly string[]).includes(options.format)) {
        throw new InvalidInputError("--format", `must be one of ${FORMATS.join(", ")} (got ${JSON.stringify(options.format)})`);
      }
      if (options.toDevice === true && options.format !== "raw") throw new InvalidInputError("--to-device", "writes a raw disk; it cannot be combined with --format vmdk");
      const overwrite = options.overwrite === true;
      const toDevice = options.toDevice === true;
      const diskIndex = Number(options.disk);
      await usingRepository(options, context, async (repository) => {
        if (!(await repository.hasPoint(pointId))) throw new InvalidInputError("point", `no such recovery point: ${pointId}`);
        const point = await repository.readPoint(pointId);
        const disk = point.disks[diskIndex];
        if (disk === undefined) throw new InvalidInputError("--disk", `point ${pointId} has ${point.disks.length} disk(s), numbered from 0`);
        const vmdk = options.format === "vmdk";
        const flatName = `${basename(out).replace(/\.vmdk$/i, "")}-flat.vmdk`;
        const target = vmdk ? join(dirname(out), flatName) : out;
        // Every file this restore writes, checked before the first byte is written.
        await checkRestoreTarget(target, { overwrite, toDevice });
        if (vmdk) await checkRestoreTarget(out, { overwrite });
        if (options.configDir !== undefined) await checkConfigFilesTarget(options.configDir, pointId, point.configFiles, { overwrite });
        const { meter, progress } = startTransfer(context, "restore", disk.sizeBytes);
        let result;
        try {
          result = await restoreDiskImage(repository, pointId, diskIndex, target, {
            onProgress: (p) => progress.update(p.bytesDone),
            signal: context.signal,
            overwrite,
            toDevice,
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
        const rest = toDevice ? "" : ", the rest sparse";
        context.stderr.write(
          `restored ${formatBytes(disk.sizeBytes)} (${formatBytes(result.bytesWritten)} written${rest}) to ${target} in ${seconds.toFixed(1)} s (${formatRate(seconds > 0 ? disk.sizeBytes / seconds : 0)})\n`,
        );
        if (options.configDir !== undefined) {
          await writeConfigFiles(options.configDir, pointId, point.configFiles, { overwrite });
          context.stderr.write(`wrote ${point.configFiles.length} configuration file(s) to ${options.configDir}\n`);
        }
      });
    });
}
