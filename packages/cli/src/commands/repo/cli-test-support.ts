/**
 * Test support for the commands: runs the CLI in-process and captures what it prints, fingerprints a folder's
 * files to prove a refused command changed nothing, and makes time pass only in the waits of a bandwidth
 * limit. Not part of the CLI.
 */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { ManualClock, Scheduler } from "@esxbackup/domain";
import type { CommandContext } from "../../command-context.js";
import { run } from "../../main.js";

/** `context`: what a test injects besides (a clock, a scheduler, an abort signal). */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  context: Partial<Pick<CommandContext, "clock" | "scheduler" | "signal">> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (data: Buffer) => (out += data.toString()));
  stderr.on("data", (data: Buffer) => (err += data.toString()));
  const code = await run(args, { stdout, stderr, env, interactive: false, signal: new AbortController().signal, ...context });
  return { code, stdout: out, stderr: err };
}

export const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Every file under `root` with the hash of its bytes. */
export async function fileHashes(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, sha256(await readFile(path)));
    }
  }
  return files;
}

/**
 * Timers on a manual clock: a wait of `ms` fires on the next turn of the event loop, the clock moved on to
 * the wait's end first. So the clock's time passes only in the limiter's waits.
 */
export function fastForward(clock: ManualClock): Scheduler & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    every(ms, fn) {
      asked.push(ms);
      let stopped = false;
      let dueMs = clock.now().getTime() + ms;
      const tick = (): void => {
        if (stopped) return;
        const behind = dueMs - clock.now().getTime();
        if (behind > 0) clock.advance(behind);
        dueMs += ms;
        fn();
        setImmediate(tick);
      };
      setImmediate(tick);
      return () => (stopped = true);
    },
  };
}

/** Timers that never fire: a transfer that has to wait for a limit waits until the run is aborted. `onArmed` is told of each. */
export function neverFiring(onArmed: () => void): Scheduler {
  return {
    every() {
      onArmed();
      return () => undefined;
    },
  };
}
