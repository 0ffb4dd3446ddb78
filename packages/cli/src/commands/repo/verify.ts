/**
 * `esxbackup repo verify --repo DIR [POINT…] [--quick]` — exit 0 only when everything checked is sound,
 * 1 when problems were found (each named: point, disk, byte offset, file, what is wrong).
 */
import type { Command } from "commander";
import { verifyRepository } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { ExitCode } from "../../exit-codes.js";
import { parsePointIds, startProgress, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoVerify(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("verify"))
    .description("check that points are restorable: every chunk exists, decrypts, decompresses and matches its digest")
    .argument("[points...]", "points to check (default: all)")
    .option("--quick", "only check that every chunk exists")
    .option("--json", "print the report as JSON")
    .action(async (pointTexts: string[], options: RepoOptions & { quick?: boolean; json?: boolean }) => {
      const pointIds = parsePointIds(pointTexts);
      await usingRepository(options, context, async (repository) => {
        let progress: ReturnType<typeof startProgress> | undefined;
        const report = await verifyRepository(repository, {
          pointIds,
          quick: options.quick === true,
          onProgress: ({ chunksChecked, chunksTotal }) => {
            progress ??= startProgress(context, "verify", chunksTotal);
            progress.update(chunksChecked);
          },
        });
        progress?.stop();
        if (options.json === true) {
          writeJson(context, report);
        } else {
          for (const problem of report.problems) {
            const where = [
              problem.pointId === undefined ? undefined : `point ${problem.pointId}`,
              problem.diskIndex === undefined ? undefined : `disk ${problem.diskIndex} (${problem.diskKey ?? "?"})`,
              problem.offsetBytes === undefined ? undefined : `offset ${problem.offsetBytes}`,
            ].filter((part) => part !== undefined);
            context.stdout.write(`PROBLEM ${where.length === 0 ? "" : `${where.join(", ")}: `}${problem.file}: ${problem.problem}\n`);
          }
          context.stdout.write(
            `${report.problems.length === 0 ? "ok" : `${report.problems.length} problem(s)`}: ${report.pointsChecked} point(s), ${report.chunksChecked} chunk(s) ${options.quick === true ? "found" : "verified"}\n`,
          );
        }
        context.setExitCode(report.problems.length === 0 ? ExitCode.ok : ExitCode.problemsFound);
      });
    });
}
