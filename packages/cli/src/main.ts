/**
 * Entry point of the `esxbackup` command: builds the commander program, runs it, and is the one place where
 * errors become messages and exit codes. A user never sees a stack trace unless ESXBACKUP_DEBUG=1.
 */
import { setMaxListeners } from "node:events";
import { Command, CommanderError } from "commander";
import { EsxbackupError, InvalidInputError } from "@esxbackup/domain";
import type { CommandContext } from "./command-context.js";
import { ExitCode } from "./exit-codes.js";
import { refuseRepeatedOptions } from "./refuse-repeated-options.js";
import { registerCommands } from "./register-commands.js";
import { terminalPrompt } from "./terminal-prompt.js";

export const VERSION = "0.1.0";

/** Listeners the run's abort signal may have at once before Node warns of a leak (see `run`). */
const RUN_SIGNAL_LISTENERS = 1024;

export function buildProgram(context: CommandContext): Command {
  const program = new Command("esxbackup")
    .description("Agentless, incremental, deduplicated backup for VMware ESXi hosts on the free licence")
    .version(VERSION)
    .showHelpAfterError("(run 'esxbackup --help' for usage)")
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 problems found, 2 bad input (nothing changed), 3 operation failed, 75 stopped part-way and resumable (run the same command again), 130 interrupted.",
    )
    .exitOverride();
  registerCommands(program, context);
  for (const command of program.commands) command.exitOverride();
  refuseRepeatedOptions(program);
  return program;
}

export async function run(argv: string[], context: Omit<CommandContext, "setExitCode">): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const fullContext: CommandContext = { ...context, setExitCode: (code) => (exitCode = code) };
  // The run's one signal is listened to by every SSH command, read, write and rate-limit wait in flight:
  // eight channels on each of several disks and VMs pass Node's default of 10 without any leak, and its
  // warning would tell the user of a memory leak that is not there. A real leak (one per chunk) still
  // passes this bound within seconds and is still reported.
  setMaxListeners(RUN_SIGNAL_LISTENERS, context.signal);
  const program = buildProgram(fullContext);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, fullContext);
  }
}

function reportError(error: unknown, context: CommandContext): number {
  if (error instanceof CommanderError) {
    // commander already printed help or the usage problem.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") {
      return ExitCode.ok;
    }
    return ExitCode.badInput;
  }
  if (context.signal.aborted) {
    context.stderr.write("esxbackup: interrupted\n");
    return ExitCode.interrupted;
  }
  if (error instanceof InvalidInputError) {
    context.stderr.write(`esxbackup: ${error.message}\n`);
    return ExitCode.badInput;
  }
  if (error instanceof EsxbackupError) {
    context.stderr.write(`esxbackup: ${error.message}\n`);
    if (context.env["ESXBACKUP_DEBUG"] === "1") context.stderr.write(`${error.stack ?? ""}\n`);
    return ExitCode.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(`esxbackup: unexpected error: ${message}\n`);
  if (context.env["ESXBACKUP_DEBUG"] === "1" && error instanceof Error) context.stderr.write(`${error.stack ?? ""}\n`);
  else context.stderr.write("(set ESXBACKUP_DEBUG=1 for details)\n");
  return ExitCode.failed;
}

/** Used by bin/esxbackup.js: wires the real process in. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // A reader that stops early (`esxbackup repo list | head -1`) closes the pipe. What is printed after that
  // is dropped, and the command still finishes its work (a backup still removes its snapshot), rather than
  // dying on an unhandled EPIPE with a stack trace. Attached for the life of the process: late writes fail too.
  process.stdout.on("error", ignoreClosedReader);
  process.stderr.on("error", ignoreClosedReader);
  try {
    return await run(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      interactive: process.stderr.isTTY === true,
      signal: controller.signal,
      ...(process.stdin.isTTY === true && process.stderr.isTTY === true
        ? { promptSecret: terminalPrompt(process.stdin, process.stderr, () => controller.abort()) }
        : {}),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function ignoreClosedReader(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
}
