import type { Writable } from "node:stream";
import type { Clock, Scheduler } from "@esxbackup/domain";
import type { PromptSecret } from "./terminal-prompt.js";

/**
 * What a command needs from its surroundings, injected so tests can run commands in-process and read what
 * they print. `main.ts` builds the real one from the process.
 */
export interface CommandContext {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** True when stderr is a terminal: progress bars are drawn only then. */
  interactive: boolean;
  /** Set by a command to report its result; `main` returns it as the exit code. */
  setExitCode(code: number): void;
  /** Aborted on SIGINT/SIGTERM; long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
  /** What progress rates, ETAs and durations are measured with (default: the system clock). */
  clock?: Clock;
  /** What waits of a bandwidth limit are timed with, on `clock` (default: real timers). */
  scheduler?: Scheduler;
  /** Asks for a secret on the terminal; absent when stdin or stderr is not a terminal (scripts, tests). */
  promptSecret?: PromptSecret;
}
