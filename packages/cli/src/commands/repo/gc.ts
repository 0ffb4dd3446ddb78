/** `esxbackup repo gc --repo DIR` — frees chunks no point references (safe while backups run). */
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import { DEFAULT_GC_GRACE_MS, collectGarbage } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { formatBytes, startProgress, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoGc(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("gc"))
    .description("delete chunks no recovery point references (mark and sweep with a grace period)")
    .option("--grace-minutes <n>", "keep unreferenced chunks used this recently", String(DEFAULT_GC_GRACE_MS / 60_000))
    .option("--dry-run", "count what would be deleted")
    .option("--json", "print the result as JSON")
    .action(async (options: RepoOptions & { graceMinutes: string; dryRun?: boolean; json?: boolean }) => {
      if (!/^\d+$/.test(options.graceMinutes)) throw new InvalidInputError("--grace-minutes", `must be a whole number (got ${JSON.stringify(options.graceMinutes)})`);
      await usingRepository(options, context, async (repository) => {
        let progress: ReturnType<typeof startProgress> | undefined;
        const result = await collectGarbage(repository, {
          graceMs: Number(options.graceMinutes) * 60_000,
          dryRun: options.dryRun === true,
          onProgress: ({ phase, done, total }) => {
            if (phase !== "sweep") return;
            progress ??= startProgress(context, "gc sweep", total);
            progress.update(done);
          },
        });
        progress?.stop();
        if (options.json === true) writeJson(context, result);
        else
          context.stdout.write(
            `${options.dryRun === true ? "would delete" : "deleted"} ${result.chunksDeleted} chunk(s), ${formatBytes(result.bytesFreed)}; ` +
              `${result.chunksMarked} in use by ${result.pointsMarked} point(s), ${result.chunksKeptRecent} unreferenced but recent\n`,
          );
      });
    });
}
