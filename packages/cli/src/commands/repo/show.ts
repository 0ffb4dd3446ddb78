/** `esxbackup repo show --repo DIR POINT [--json]` — one point's manifest. */
import type { Command } from "commander";
import { InvalidInputError, parsePointId } from "@esxbackup/domain";
import type { CommandContext } from "../../command-context.js";
import { formatFingerprintKind } from "./fingerprint-option.js";
import { formatBytes, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoShow(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("show"))
    .description("show a recovery point: VM, host, time, disks, configuration files, tags")
    .argument("<point>", "the point id")
    .option("--json", "print as JSON")
    .action(async (pointText: string, options: RepoOptions & { json?: boolean }) => {
      const pointId = parsePointId(pointText);
      await usingRepository(options, context, async (repository) => {
        if (!(await repository.hasPoint(pointId))) throw new InvalidInputError("point", `no such recovery point: ${pointId}`);
        const point = await repository.readPoint(pointId);
        if (options.json === true) {
          writeJson(context, {
            ...point,
            point: point.pointId,
            createdAt: point.createdAt.toISOString(),
            configFiles: point.configFiles.map((file) => ({ name: file.name, sizeBytes: file.content.byteLength })),
          });
          return;
        }
        const lines = [
          `point:    ${point.pointId}`,
          `created:  ${point.createdAt.toISOString()}`,
          `vm:       ${point.vm.name} (id ${point.vm.id}${point.vm.uuid === undefined ? "" : `, uuid ${point.vm.uuid}`})`,
          `host:     ${point.host}`,
          `previous: ${point.previousPointId ?? "-"}`,
          `tags:     ${point.tags.join(", ") || "-"}`,
          `config:   ${point.configFiles.length === 0 ? "-" : point.configFiles.map((file) => `${file.name} (${file.content.byteLength} bytes)`).join(", ")}`,
          ...point.disks.flatMap((disk) => [
            `disk ${disk.index}:   ${disk.key} ${disk.name} ${formatBytes(disk.sizeBytes)} (${disk.sizeBytes} bytes), ${disk.chunkCount} chunks, ${disk.zeroChunkCount} zero` +
              (disk.adapterType === undefined ? "" : `, adapter ${disk.adapterType}`) +
              (disk.geometry === undefined ? "" : `, geometry ${disk.geometry.cylinders}/${disk.geometry.heads}/${disk.geometry.sectors}`),
            `          fingerprints: ${
              disk.fingerprints === undefined
                ? "-"
                : `${formatFingerprintKind(disk.fingerprints)} (${disk.fingerprints.algorithm}, ${disk.fingerprints.blockSizeBytes}-byte blocks, ${disk.fingerprints.digestLengthBytes}-byte digests)`
            }`,
          ]),
        ];
        context.stdout.write(`${lines.join("\n")}\n`);
      });
    });
}
