/** `esxbackup repo prune --repo DIR POINT…` — deletes points (retention is decided elsewhere); run gc to reclaim space. */
import type { Command } from "commander";
import { executePrune, planPrune } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { parsePointIds, usingRepository, withRepoOptions } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoPrune(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("prune"))
    .description("delete recovery points (all must exist, or nothing is deleted); 'repo gc' then frees their chunks")
    .argument("<points...>", "the points to delete")
    .option("--dry-run", "show what would be deleted")
    .action(async (pointTexts: string[], options: RepoOptions & { dryRun?: boolean }) => {
      const pointIds = parsePointIds(pointTexts);
      await usingRepository(options, context, async (repository) => {
        const plan = await planPrune(repository, pointIds);
        if (options.dryRun !== true) await executePrune(repository, plan);
        for (const pointId of plan.pointIds) context.stdout.write(`${options.dryRun === true ? "would delete" : "deleted"} ${pointId}\n`);
      });
    });
}
