/**
 * One command on one ssh2 channel: its stdout as a stream with backpressure, its stderr (kept up to a cap),
 * its exit status, and a timeout. The timeout is total, or idle (no output for so long) for bulk reads; an
 * idle timer is stopped while our reader is the one not keeping up, so a slow repository never looks like a
 * hung host. On timeout the command gets SIGKILL (where the sshd supports signal requests) and its channel is
 * closed, which ends it on hosts that kill a session's processes with the channel.
 *
 * `stdout` ends only after the exit status is known: on a lost connection or a timeout it is destroyed
 * with the same error `outcome` rejects with, so a reader can never mistake a cut-off stream for the end.
 *
 * A command we stop (timeout, abort, reader gone) fails at once, without waiting for the host: OpenSSH
 * refuses signal requests for root sessions ("session signalling requires privilege separation", which a
 * root login skips), and its sshd closes a session's channel only once the process has ended, so on a real
 * ESXi host a hung command stays hung after KILL and close. `closed` says when the host let the channel go:
 * the channel slot is held until then, so the host's MaxSessions is never overrun.
 */
import { PassThrough } from "node:stream";
import type { Readable } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { SshCommandCancelledError, SshCommandFailedError, SshCommandTimeoutError, SshConnectionLostError, quoteForMessage } from "./esxi-ssh-errors.js";

/** stderr beyond this is dropped (a runaway error stream must not fill memory); the start is what explains. */
const STDERR_LIMIT_BYTES = 64 * 1024;

export interface ChannelOutcome {
  exitCode: number | null;
  signal: string | undefined;
  stderr: Buffer;
}

export interface CommandChannel {
  stdout: Readable;
  /** Resolves once the channel closed with an exit status; rejects with a typed error otherwise (at once when we stop it). */
  outcome: Promise<ChannelOutcome>;
  /** Resolves once the host closed the channel (after `outcome` when we stopped the command; never rejects). */
  closed: Promise<void>;
}

export interface CommandChannelOptions {
  /** `host:port` for messages. */
  label: string;
  timeoutMs: number;
  /** true: the timeout counts time without output; false: time since start. */
  idle: boolean;
  /** Non-zero exit status → SshCommandFailedError (and stdout destroyed with it). */
  check: boolean;
  /** The command's stdin: bytes, or a stream piped with backpressure (uploads); closed at its end. */
  stdin?: Buffer | Readable | undefined;
  signal?: AbortSignal | undefined;
}

export function startCommandChannel(client: Client, command: string, options: CommandChannelOptions): Promise<CommandChannel> {
  return new Promise((resolve, reject) => {
    let opened: ClientChannel;
    try {
      client.exec(command, (error, channel) => {
        if (error !== undefined && error !== null) return reject(new SshConnectionLostError(options.label, "while opening a channel", { cause: error }));
        opened = channel;
        resolve(run(opened, command, options));
      });
    } catch (error) {
      // ssh2 throws synchronously when the connection is already gone.
      reject(new SshConnectionLostError(options.label, "while opening a channel", { cause: error }));
    }
  });
}

function run(channel: ClientChannel, command: string, options: CommandChannelOptions): CommandChannel {
  const stdout = new PassThrough({ highWaterMark: 1024 * 1024 });
  const stderrParts: Buffer[] = [];
  let stderrBytes = 0;
  let exit: { code: number | null; signal: string | undefined } | undefined;
  let stopReason: Error | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Settles `outcome` with an error once (set below, with it); `settled` once it has either way.
  let settled = false;
  let fail: (error: Error) => void = () => undefined;

  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const armTimer = (): void => {
    stopTimer();
    timer = setTimeout(() => stop(new SshCommandTimeoutError(options.label, command, options.timeoutMs, options.idle)), options.timeoutMs);
  };
  // ssh2 emits a channel's "close" only after its data has been read to the end, so once we stop, the rest
  // is read and dropped; a paused channel would otherwise never close.
  let discarding = false;
  const discardRest = (): void => {
    discarding = true;
    channel.resume();
  };
  const stop = (reason: Error): void => {
    if (stopReason !== undefined || exit !== undefined) return;
    stopReason = reason;
    stopTimer();
    discardRest();
    try {
      channel.signal("KILL");
    } catch {
      // The channel may already be closing; closing it below is what matters.
    }
    channel.close();
    fail(reason);
  };

  const abort = (): void => stop(new SshCommandCancelledError(options.label, command));
  if (options.signal?.aborted === true) queueMicrotask(abort);
  options.signal?.addEventListener("abort", abort, { once: true });

  channel.on("data", (chunk: Buffer) => {
    if (discarding) return;
    if (options.idle) armTimer();
    if (!stdout.write(chunk)) {
      channel.pause();
      if (options.idle) stopTimer();
      stdout.once("drain", () => {
        if (options.idle && stopReason === undefined && exit === undefined) armTimer();
        channel.resume();
      });
    }
  });
  channel.stderr.on("data", (chunk: Buffer) => {
    if (stderrBytes >= STDERR_LIMIT_BYTES) return;
    const kept = chunk.subarray(0, STDERR_LIMIT_BYTES - stderrBytes);
    stderrParts.push(kept);
    stderrBytes += kept.length;
  });
  channel.on("exit", (code: number | null, signal?: string) => {
    exit = { code: typeof code === "number" ? code : null, signal: signal ?? undefined };
  });
  // The reader went away (destroyed its end): nobody wants the rest, so stop the command.
  stdout.on("close", () => {
    if (exit === undefined && stopReason === undefined && !stdout.readableEnded) {
      stopReason = new SshCommandCancelledError(options.label, command);
      stopTimer();
      discardRest();
      channel.close();
      fail(stopReason);
    }
  });

  // A reader that only awaits `outcome` must not crash the process with an unhandled stream error.
  stdout.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => channel.once("close", () => resolve()));
  const outcome = new Promise<ChannelOutcome>((resolve, reject) => {
    fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      stdout.destroy(error);
      reject(error);
    };
    channel.on("close", () => {
      stopTimer();
      options.signal?.removeEventListener("abort", abort);
      if (settled) return;
      settled = true;
      const stderr = Buffer.concat(stderrParts);
      let error: Error | undefined = stopReason;
      if (error === undefined && exit === undefined) error = new SshConnectionLostError(options.label, `while \`${quoteForMessage(command)}\` was running`);
      if (error === undefined && exit !== undefined && options.check && exit.code !== 0) {
        error = new SshCommandFailedError(options.label, command, { exitCode: exit.code, signal: exit.signal, stderr: stderr.toString("utf8") });
      }
      if (error !== undefined) {
        stdout.destroy(error);
        return reject(error);
      }
      stdout.end();
      resolve({ exitCode: exit?.code ?? null, signal: exit?.signal, stderr });
    });
  });
  // A caller that reads only stdout still sees the error there; this keeps the rejection from being unhandled.
  outcome.catch(() => undefined);

  armTimer();
  const stdin = options.stdin;
  if (stdin === undefined || Buffer.isBuffer(stdin)) channel.end(stdin);
  else pipeInput(stdin, channel, {
      onProgress: () => {
        if (options.idle) armTimer();
      },
      onError: stop,
    });
  return { stdout, outcome, closed };
}

/**
 * Our source into the command's stdin. The channel's window is the host's backpressure; progress counts for
 * the idle timer (an upload produces no output); a failing source kills the command with its error.
 */
function pipeInput(source: Readable, channel: ClientChannel, on: { onProgress: () => void; onError: (error: Error) => void }): void {
  source.on("data", (chunk: Buffer) => {
    on.onProgress();
    if (!channel.write(chunk)) {
      source.pause();
      channel.once("drain", () => source.resume());
    }
  });
  source.once("end", () => channel.end());
  source.once("error", (error) => on.onError(error));
  channel.once("close", () => {
    if (!source.readableEnded) source.destroy();
  });
}
