/**
 * For in-memory hosts in tests (our session port): `execStream` answered by the session's own `exec`, the
 * whole output as one chunk; a failed command fails the stream and the result alike, as a real channel does.
 */
import { Readable } from "node:stream";
import type { ExecResult, StreamingExec } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";

/** The in-memory session with `execStream` added, answered by its `exec`. */
export function withExecStream<S extends { exec(command: ShellCommand): Promise<ExecResult> }>(session: S): S & { execStream(command: ShellCommand): Promise<StreamingExec> } {
  const execStream = async (command: ShellCommand): Promise<StreamingExec> => {
    const answer = session.exec(command);
    answer.catch(() => undefined);
    const stdout = Readable.from(
      (async function* output() {
        yield (await answer).stdout;
      })(),
    );
    return { stdout, result: answer.then(({ stderr, exitCode, signal }) => ({ stderr, exitCode, signal })) };
  };
  return Object.assign(session, { execStream });
}
