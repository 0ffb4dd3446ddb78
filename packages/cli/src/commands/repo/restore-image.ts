/**
 * `esxbackup repo restore-image --repo DIR POINT OUT [--disk N] [--format raw|vmdk] [--config-dir DIR]` —
 * writes one disk of a point as a sparse raw image, or as a monolithicFlat VMDK (OUT is the descriptor, the
 * data goes to `<name>-flat.vmdk` beside it); with --config-dir also the point's VM configuration files,
 * never overwriting one (checked before the disk is restored).
 */
import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { InvalidInputError, parsePointId } from "@esxbackup/domain";
import { restoreDiskImage, vmdkDescriptor } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { checkConfigFilesTarget, writeConfigFiles } from "./restore-config-files.js";
import { formatBytes, startProgress, usingRepository, withRepoOptions } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

const FORMATS = ["raw", "vmdk"] as const;

export function registerRepoRestoreImage(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("restore-image"))
    .description("restore one disk of a point into a local image file")
    .argument("<point>", "the point id")
    .argument("<out>", "the image to write (for vmdk: the descriptor; data goes to <name>-flat.vmdk)")
    .option("--disk <n>", "which disk of the point (see 'repo show')", "0")
    .option("--format <format>", `one of: ${FORMATS.join(", ")}`, "raw")
    .option("--config-dir <dir>", "also write the point's VM configuration files (.vmx, .nvram, …) into this folder; existing files are never overwritten")
    .action(async (pointText: string, out: string, options: RepoOptions & { disk: string; format: string; configDir?: string }) => {
      const pointId = parsePointId(pointText);
      if (!/^\d+$/.test(options.disk)) throw new InvalidInputError("--disk", `must be a disk number (got ${JSON.stringify(options.disk)})`);
      if (!(FORMATS as readonly string[]).includes(options.format)) {
        throw new InvalidInputError("--format", `must be one of ${FORMATS.join(", ")} (got ${JSON.stringify(options.format)})`);
      }
      const diskIndex = Number(options.disk);
      await usingRepository(options, context, async (repository) => {
        if (!(await repository.hasPoint(pointId))) throw new InvalidInputError("point", `no such recovery point: ${pointId}`);
        const point = await repository.readPoint(pointId);
        const disk = point.disks[diskIndex];
        if (disk === undefined) throw new InvalidInputError("--disk", `point ${pointId} has ${point.disks.length} disk(s), numbered from 0`);
        if (options.configDir !== undefined) await checkConfigFilesTarget(options.configDir, pointId, point.configFiles);
        const vmdk = options.format === "vmdk";
        const flatName = `${basename(out).replace(/\.vmdk$/i, "")}-flat.vmdk`;
        const target = vmdk ? join(dirname(out), flatName) : out;
        const progress = startProgress(context, "restore", disk.sizeBytes);
        let result;
        try {
          result = await restoreDiskImage(repository, pointId, diskIndex, target, {
            onProgress: (p) => progress.update(p.bytesDone),
            signal: context.signal,
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
          );
        }
        context.stderr.write(`restored ${formatBytes(disk.sizeBytes)} (${formatBytes(result.bytesWritten)} of data, the rest sparse) to ${target}\n`);
        if (options.configDir !== undefined) {
          await writeConfigFiles(options.configDir, pointId, point.configFiles);
          context.stderr.write(`wrote ${point.configFiles.length} configuration file(s) to ${options.configDir}\n`);
        }
      });
    });
}
