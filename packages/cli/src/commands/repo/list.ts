/** `esxbackup repo list --repo DIR [--json]` — the recovery points, oldest first. */
import type { Command } from "commander";
import type { CommandContext } from "../../command-context.js";
import { formatBytes, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoList(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("list"))
    .description("list recovery points")
    .option("--json", "print as JSON")
    .action(async (options: RepoOptions & { json?: boolean }) => {
      await usingRepository(options, context, async (repository) => {
        const points = [];
        for (const pointId of await repository.listPointIds()) points.push(await repository.readPoint(pointId));
        if (options.json === true) {
          writeJson(
            context,
            points.map((point) => ({
              point: point.pointId,
              createdAt: point.createdAt.toISOString(),
              vm: point.vm.name,
              host: point.host,
              disks: point.disks.length,
              sizeBytes: point.disks.reduce((sum, disk) => sum + disk.sizeBytes, 0),
              tags: point.tags,
            })),
          );
          return;
        }
        for (const point of points) {
          const size = formatBytes(point.disks.reduce((sum, disk) => sum + disk.sizeBytes, 0));
          context.stdout.write(`${point.pointId}  ${point.createdAt.toISOString()}  ${point.vm.name}  ${point.host}  ${point.disks.length} disk(s)  ${size}\n`);
        }
      });
    });
}
