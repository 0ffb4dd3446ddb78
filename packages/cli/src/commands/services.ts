/**
 * `esxbackup services start|stop|status|env` — the local PostgreSQL and Redis that the director and the
 * tests use, run by deploy/services.sh. The script is the single implementation; this command finds it and
 * passes the arguments through, so the same verbs work from the CLI and from shell scripts.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import type { CommandContext } from "../command-context.js";

const SCRIPT = fileURLToPath(new URL("../../../../deploy/services.sh", import.meta.url));
const VERBS = ["start", "stop", "status", "env"] as const;

export function registerServicesCommand(program: Command, context: CommandContext): void {
  program
    .command("services")
    .description("start, stop or show the local PostgreSQL and Redis (deploy/services.sh)")
    .argument("<verb>", `one of: ${VERBS.join(", ")}`)
    .option("--state-dir <dir>", "where the servers keep their data (default ./.esxbackup)")
    .option("--throwaway", "fresh data, no durability (for tests)")
    .action(async (verb: string, options: { stateDir?: string; throwaway?: boolean }) => {
      if (!(VERBS as readonly string[]).includes(verb)) {
        throw new InvalidInputError("services verb", `must be one of ${VERBS.join(", ")} (got ${JSON.stringify(verb)})`);
      }
      if (!existsSync(SCRIPT)) {
        throw new InvalidInputError("services", `deploy/services.sh is not present beside this installation (${SCRIPT})`);
      }
      const args = [SCRIPT, verb];
      if (options.stateDir !== undefined) args.push("--state-dir", options.stateDir);
      if (options.throwaway === true) args.push("--throwaway");
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn("bash", args, { stdio: ["ignore", "pipe", "pipe"], env: context.env });
        child.stdout.pipe(context.stdout, { end: false });
        child.stderr.pipe(context.stderr, { end: false });
        child.on("error", reject);
        child.on("close", (exitCode) => resolve(exitCode ?? 1));
      });
      context.setExitCode(code);
    });
}
