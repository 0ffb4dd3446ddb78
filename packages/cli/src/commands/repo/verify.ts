/**
 * `esxbackup repo verify --repo DIR [POINT…] [--quick] [--points-log-head N:DIGEST]` — exit 0 only when
 * everything checked is sound, 1 when problems were found (each named: point, disk, byte offset, file, what
 * is wrong). A version-3 repository's points-log head is printed at the end: given back with
 * --points-log-head next time, it reveals a rollback of the whole storage, which nothing inside can show.
 */
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import { verifyRepository } from "@esxbackup/repository";
import type { PointsLogHead } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { ExitCode } from "../../exit-codes.js";
import { parsePointIds, startProgress, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoVerify(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("verify"))
    .description("check that points are restorable: every chunk exists, decrypts, decompresses and matches its digest")
    .argument("[points...]", "points to check (default: all)")
    .option("--quick", "only check that every chunk exists")
    .option("--points-log-head <records:digest>", "the head an earlier verify printed: report a points log that is shorter or differs (a rolled-back storage)")
    .option("--json", "print the report as JSON")
    .action(async (pointTexts: string[], options: RepoOptions & { quick?: boolean; json?: boolean; pointsLogHead?: string }) => {
      const pointIds = parsePointIds(pointTexts);
      const knownPointsLog = options.pointsLogHead === undefined ? undefined : parsePointsLogHead(options.pointsLogHead);
      await usingRepository(options, context, async (repository) => {
        let progress: ReturnType<typeof startProgress> | undefined;
        const report = await verifyRepository(repository, {
          pointIds,
          quick: options.quick === true,
          ...(knownPointsLog === undefined ? {} : { knownPointsLog }),
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
          if (report.pointsLog !== undefined) {
            context.stdout.write(`points log head: ${formatPointsLogHead(report.pointsLog)} (keep it; --points-log-head ${formatPointsLogHead(report.pointsLog)} next time detects a rollback)\n`);
          }
        }
        context.setExitCode(report.problems.length === 0 ? ExitCode.ok : ExitCode.problemsFound);
      });
    });
}

export function formatPointsLogHead(head: PointsLogHead): string {
  return `${head.records}:${head.headDigest}`;
}

/** `N:DIGEST` as printed above: a record count and the SHA-256 (64 hex) of record N's file. */
export function parsePointsLogHead(text: string): PointsLogHead {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/u.exec(text.trim());
  if (match === null) {
    throw new InvalidInputError("--points-log-head", `'${text}' is not RECORDS:DIGEST as verify prints it (a count, a colon, 64 lowercase hex digits)`);
  }
  return { records: Number(match[1]), headDigest: match[2] as string };
}
