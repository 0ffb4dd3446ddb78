/** `esxbackup repo stats --repo DIR [--json]` — logical vs stored bytes, dedup and compression ratios. */
import type { Command } from "commander";
import { repositoryStats } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { formatBytes, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoStats(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("stats"))
    .description("show how much the repository holds and how much it stores")
    .option("--json", "print as JSON")
    .action(async (options: RepoOptions & { json?: boolean }) => {
      await usingRepository(options, context, async (repository) => {
        const stats = await repositoryStats(repository);
        if (options.json === true) {
          writeJson(context, stats);
          return;
        }
        const lines = [
          `points:            ${stats.points} (${stats.disks} disk(s))`,
          `logical size:      ${formatBytes(stats.logicalBytes)} (${formatBytes(stats.zeroBytes)} of it zero)`,
          `referenced chunks: ${stats.referencedChunks} (${formatBytes(stats.referencedBytes)} uncompressed)`,
          `stored chunks:     ${stats.storedChunks} (${formatBytes(stats.storedBytes)}), ${stats.unreferencedChunks} unreferenced`,
          `dedup ratio:       ${stats.dedupRatio.toFixed(2)}`,
          `compression ratio: ${stats.compressionRatio.toFixed(2)}`,
          `chunk size:        ${formatBytes(stats.chunkSizeBytes)}, ${stats.encrypted ? "encrypted" : "not encrypted"}`,
        ];
        context.stdout.write(`${lines.join("\n")}\n`);
      });
    });
}
