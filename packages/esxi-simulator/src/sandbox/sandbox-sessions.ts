/**
 * Runs SSH sessions in a host's sandbox: `exec` as `/bin/sh -c <command>` (busybox ash), `shell` as a
 * login shell (under a pseudo-terminal when the client asked for one) and `sftp` with OpenSSH's
 * sftp-server from the read-only /usr. The environment is ESXi's: PATH=/bin:/sbin, HOME=/, SHELL=/bin/sh.
 *
 * Streams: the child's stdout is piped straight into the channel (with the channel's backpressure),
 * stderr into the channel's stderr, the channel into the child's stdin. The exit status (or signal) goes
 * back once both outputs have ended; closing the channel kills the child's whole process group.
 */
import { existsSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import type { ServerChannel } from "ssh2";
import type { SessionContext, SessionRunner } from "../ssh/session-runner.js";
import { ThrottleStream } from "../ssh/throttle-stream.js";
import { SANDBOX_PATH } from "./sandbox-layout.js";
import { killTree } from "./sandbox-namespace.js";
import type { SandboxNamespace } from "./sandbox-namespace.js";

const SFTP_SERVERS = ["/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/lib/ssh/sftp-server"];

export class SandboxSessions implements SessionRunner {
  readonly #namespace: SandboxNamespace;
  readonly #sftpServer: string | undefined;

  constructor(namespace: SandboxNamespace) {
    this.#namespace = namespace;
    this.#sftpServer = SFTP_SERVERS.find((path) => existsSync(path));
  }

  get sftpAvailable(): boolean {
    return this.#sftpServer !== undefined;
  }

  exec(command: string, channel: ServerChannel, context: SessionContext): void {
    const child = this.#namespace.spawn(["/bin/sh", "-c", command], { env: environment(context) });
    connect(child, channel, context);
  }

  shell(channel: ServerChannel, context: SessionContext): void {
    const env = environment(context);
    if (context.pty !== undefined) {
      const { rows, cols } = context.pty;
      const start = `stty rows ${rows} cols ${cols} 2>/dev/null; exec /bin/sh -l`;
      connect(this.#namespace.spawn(["/bin/sh", "-c", start], { env, pty: true }), channel, context);
    } else {
      connect(this.#namespace.spawn(["/bin/sh", "-l"], { env }), channel, context);
    }
  }

  sftp(channel: ServerChannel, context: SessionContext): void {
    connect(this.#namespace.spawn([this.#sftpServer as string], { env: environment(context) }), channel, context);
  }
}

function environment(context: SessionContext): Record<string, string> {
  const env: Record<string, string> = {
    PATH: SANDBOX_PATH,
    HOME: "/",
    USER: context.user,
    LOGNAME: context.user,
    SHELL: "/bin/sh",
    SSH_CONNECTION: context.connection,
  };
  if (context.pty !== undefined) env["TERM"] = context.pty.term || "xterm";
  return env;
}

function connect(child: ChildProcess, channel: ServerChannel, context: SessionContext): void {
  const rate = context.throttleBytesPerSecond;
  const limit = (stream: Readable): Readable => (rate === null ? stream : stream.pipe(new ThrottleStream(rate)));
  const stdout = limit(child.stdout as Readable);
  const stderr = limit(child.stderr as Readable);
  stdout.pipe(channel, { end: false });
  stderr.pipe(channel.stderr, { end: false });
  channel.pipe(child.stdin as NodeJS.WritableStream);
  child.stdin?.on("error", () => undefined);
  channel.on("error", () => undefined);

  let openOutputs = 2;
  let status: { code: number } | { signal: string } | undefined;
  const finish = (): void => {
    if (openOutputs > 0 || status === undefined) return;
    const final = status;
    // A zero-length write completes after everything queued before it, so the exit status follows the data.
    channel.write(Buffer.alloc(0), () => {
      if ("code" in final) channel.exit(final.code);
      else channel.exit(final.signal.replace(/^SIG/u, ""), false, "");
      channel.end();
    });
  };
  stdout.on("end", () => {
    openOutputs--;
    finish();
  });
  stderr.on("end", () => {
    openOutputs--;
    finish();
  });
  child.on("exit", (code, signal) => {
    status = code !== null ? { code } : { signal: signal ?? "KILL" };
    finish();
  });
  child.on("error", (error) => {
    channel.stderr.write(`sh: ${error.message}\n`);
    status = { code: 127 };
    openOutputs = 0;
    finish();
  });
  channel.on("close", () => killTree(child));
}
