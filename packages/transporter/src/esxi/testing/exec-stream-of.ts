/**
 * For in-memory hosts in tests (our session port): `execStream` answered by the same function as their
 * `exec`, the whole output as one chunk; a failed command fails the stream and the result alike, as a real
 * channel does.
 */
import { Readable } from "node:stream";
import type { ExecResult, StreamingExec } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";

export function execStreamOf(exec: (command: ShellCommand) => Promise<ExecResult>): (command: ShellCommand) => Promise<StreamingExec> {
  return async (command) => {
    const answer = exec(command);
    answer.catch(() => undefined);
    const stdout = Readable.from(
      (async function* output() {
        yield (await answer).stdout;
      })(),
    );
    return { stdout, result: answer.then(({ stderr, exitCode, signal }) => ({ stderr, exitCode, signal })) };
  };
}

/** The in-memory session with `execStream` added, answered by its `exec`. */
export function withExecStream<S extends { exec(command: ShellCommand): Promise<ExecResult> }>(session: S): S & { execStream(command: ShellCommand): Promise<StreamingExec> } {
  return Object.assign(session, { execStream: execStreamOf((command) => session.exec(command)) });
}
