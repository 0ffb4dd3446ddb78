/**
 * A long-lived SSH session to one ESXi host: one connection (opened again after it drops), many commands
 * over it, each on its own channel with a timeout. Commands are `ShellCommand`s, so every argument has been
 * quoted for the host's shell; the password travels only inside the SSH login, never on a command line.
 *
 * Reconnection: a dropped connection fails the commands that were running on it with
 * `SshConnectionLostError` (they may or may not have run); the next command opens a new connection, trying
 * up to `reconnectAttempts` times. A command marked `retryOnConnectionLost` (the caller says it is safe to
 * run twice: reads, hashes) is run again on the new connection. Login and host-key failures are never
 * retried, and a login the host refused is never tried again (`RefusedLogins`): each refusal counts toward
 * ESXi's account lock. The host key is checked again at every reconnection.
 *
 * Who closes: the owner calls `close()`; commands started after that fail.
 */
import type { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { Client, NegotiatedAlgorithms } from "ssh2";
import { ChannelSlots } from "./channel-slots.js";
import { startCommandChannel } from "./command-channel.js";
import type { ChannelOutcome, CommandChannel, CommandChannelOptions } from "./command-channel.js";
import { checkHostKeyAgainstPins, offeredAlgorithms } from "./check-host-key-against-pins.js";
import type { HostKeyPolicy } from "./decide-host-key.js";
import { esxiSshAlgorithms } from "./esxi-ssh-algorithms.js";
import { EsxiSshError, SshConnectionLostError } from "./esxi-ssh-errors.js";
import type { EsxiSshTarget } from "./esxi-ssh-target.js";
import { targetLabel } from "./esxi-ssh-target.js";
import type { KnownHostsFile } from "./known-hosts-file.js";
import { openSshConnection, redact } from "./open-ssh-connection.js";
import { RefusedLogins } from "./refused-logins.js";
import type { ShellCommand } from "./shell-command.js";

export interface EsxiSshSessionOptions {
  target: EsxiSshTarget;
  knownHosts: KnownHostsFile;
  /** Default trust-on-first-use: an unknown host's key is pinned, a changed one refused. */
  hostKeyPolicy?: HostKeyPolicy;
  /** Default 20 s, for TCP + handshake + login. */
  connectTimeoutMs?: number;
  /** SSH keep-alives: default every 15 s, the connection counts as lost after 4 unanswered. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Default timeout of `exec` (total) and `execStream` (idle): 10 minutes / 2 minutes. */
  commandTimeoutMs?: number;
  streamIdleTimeoutMs?: number;
  /** Channels open at once (default 8, under OpenSSH's MaxSessions of 10). */
  maxChannels?: number;
  /** Connection attempts per command after a drop (default 3), with `reconnectDelayMs(attempt)` between. */
  reconnectAttempts?: number;
  reconnectDelayMs?: (attempt: number) => number;
  /**
   * Logins the host refused; one shared by every session a command opens to the host, so that none logs in
   * again after a refusal. Default: the session's own.
   */
  refusedLogins?: RefusedLogins;
  /** What happens to the session, for logs. Events never hold a credential. */
  onEvent?: (event: EsxiSshSessionEvent) => void;
}

export type EsxiSshSessionEvent =
  | { type: "connected"; host: string; connection: number; hostKeyFingerprint: string; algorithms: NegotiatedSummary }
  | { type: "host-key-pinned"; host: string; fingerprint: string; knownHostsPath: string }
  | { type: "connection-lost"; host: string; connection: number; reason: string }
  | { type: "connect-attempt-failed"; host: string; attempt: number; reason: string };

export interface NegotiatedSummary {
  kex: string;
  serverHostKey: string;
  cipher: string;
  mac: string;
}

export interface ExecOptions {
  /** Total time allowed; default the session's. */
  timeoutMs?: number;
  /** Default true: a non-zero exit status throws `SshCommandFailedError`. */
  check?: boolean;
  /** Bytes for the command's stdin (closed after them; closed at once without). */
  stdin?: Buffer;
  /** The command may run twice: after a dropped connection it is run again on a new one. */
  retryOnConnectionLost?: boolean;
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | null;
  signal: string | undefined;
}

export interface StreamOptions {
  /** Time allowed without output or input progress while we keep reading; default the session's. */
  idleTimeoutMs?: number;
  /** Data for the command's stdin (an upload: `dd of=…`), piped with backpressure; stdin is closed at its end. */
  stdin?: Readable;
  check?: boolean;
  signal?: AbortSignal;
}

export interface StreamingExec {
  /** The command's stdout; destroyed with the typed error if the command does not end well. */
  stdout: Readable;
  result: Promise<ChannelOutcome>;
}

interface Connection {
  client: Client;
  number: number;
  lost: boolean;
  negotiated: NegotiatedAlgorithms;
}

export class EsxiSshSession {
  readonly label: string;
  readonly #options: EsxiSshSessionOptions;
  readonly #slots: ChannelSlots;
  readonly #refusedLogins: RefusedLogins;
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #connections = 0;
  #closed = false;

  private constructor(options: EsxiSshSessionOptions) {
    this.#options = options;
    this.label = targetLabel(options.target);
    this.#slots = new ChannelSlots(options.maxChannels ?? 8);
    this.#refusedLogins = options.refusedLogins ?? new RefusedLogins();
  }

  /** Connects (checking or pinning the host key, logging in) and returns the open session. */
  static async open(options: EsxiSshSessionOptions): Promise<EsxiSshSession> {
    const session = new EsxiSshSession(options);
    await session.#connect();
    return session;
  }

  /** Connections opened so far (1 + reconnections). */
  get connectionCount(): number {
    return this.#connections;
  }

  /** What the current connection negotiated, for logs and tests. */
  get negotiated(): NegotiatedSummary | undefined {
    return this.#connection === undefined ? undefined : summary(this.#connection.negotiated);
  }

  /** Runs a command and collects its output. */
  async exec(command: ShellCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const attempts = options.retryOnConnectionLost === true ? (this.#options.reconnectAttempts ?? 3) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#execOnce(command, options);
      } catch (error) {
        if (!(error instanceof SshConnectionLostError) || attempt >= attempts || this.#closed) throw error;
      }
    }
  }

  /**
   * Runs a command whose stdout is read as a stream (disk reads). The channel slot is held until the
   * command ends; the caller must read `stdout` to the end (or destroy it, which kills the command).
   */
  async execStream(command: ShellCommand, options: StreamOptions = {}): Promise<StreamingExec> {
    const channel = await this.#startChannel(command, {
      timeoutMs: options.idleTimeoutMs ?? this.#options.streamIdleTimeoutMs ?? 120_000,
      idle: true,
      check: options.check ?? true,
      stdin: options.stdin,
      signal: options.signal,
    });
    return { stdout: channel.stdout, result: channel.outcome };
  }

  /** Ends the connection; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined || connection.lost) return;
    await new Promise<void>((resolve) => {
      connection.client.once("close", () => resolve());
      connection.client.end();
    });
  }

  async #execOnce(command: ShellCommand, options: ExecOptions): Promise<ExecResult> {
    const channel = await this.#startChannel(command, {
      timeoutMs: options.timeoutMs ?? this.#options.commandTimeoutMs ?? 600_000,
      idle: false,
      check: options.check ?? true,
      stdin: options.stdin,
      signal: options.signal,
    });
    // Read to the stream's end, not until the exit status: when the host's whole reply (the channel's
    // confirmation, output, exit status, close) arrives in one read, the channel has closed and `outcome`
    // settled before this reader is attached, with the output still waiting in the stream.
    const stdout = buffer(channel.stdout);
    // On failure the stream is destroyed with the error `outcome` rejects with, which is the one thrown.
    stdout.catch(() => undefined);
    const outcome = await channel.outcome;
    return { stdout: await stdout, stderr: outcome.stderr, exitCode: outcome.exitCode, signal: outcome.signal };
  }

  /** A channel slot (held until the command ends), a live connection, the command started on it. */
  async #startChannel(command: ShellCommand, options: Omit<CommandChannelOptions, "label">): Promise<CommandChannel> {
    const release = await this.#slots.acquire();
    try {
      const connection = await this.#usableConnection();
      const channel = await startCommandChannel(connection.client, command.text, { ...options, label: this.label });
      // Held until the host let the channel go, which for a command we stopped can be later than its outcome.
      void channel.closed.then(release);
      return channel;
    } catch (error) {
      release();
      throw error;
    }
  }

  async #usableConnection(): Promise<Connection> {
    if (this.#closed) throw new SshConnectionLostError(this.label, "because the session was closed");
    const current = this.#connection;
    if (current !== undefined && !current.lost) return current;
    return this.#connect();
  }

  /** Single flight: concurrent commands after a drop share one reconnection. */
  #connect(): Promise<Connection> {
    this.#connecting ??= this.#connectWithRetries().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connectWithRetries(): Promise<Connection> {
    const attempts = this.#options.reconnectAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        // A refused login is not tried again, on a reconnection or by another session of the same command.
        return await this.#refusedLogins.tryLogin(this.#options.target, () => this.#connectOnce());
      } catch (error) {
        const retry = error instanceof EsxiSshError && error.retryable && attempt < attempts && !this.#closed;
        if (!retry) throw error;
        this.#emit({ type: "connect-attempt-failed", host: this.label, attempt, reason: error.message });
        const delayMs = (this.#options.reconnectDelayMs ?? defaultReconnectDelayMs)(attempt);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async #connectOnce(): Promise<Connection> {
    const { target, knownHosts } = this.#options;
    const pinned = await knownHosts.lookup(target.host, target.port ?? 22);
    const opened = await openSshConnection({
      target,
      algorithms: offeredAlgorithms(esxiSshAlgorithms(target.esxiVersion), pinned),
      checkHostKey: (key) =>
        checkHostKeyAgainstPins({
          target,
          knownHosts,
          pinned,
          presented: key,
          policy: this.#options.hostKeyPolicy ?? "trust-on-first-use",
          onPinned: (pinnedKey) => this.#emit({ type: "host-key-pinned", host: this.label, fingerprint: pinnedKey.fingerprint, knownHostsPath: knownHosts.path }),
        }),
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 20_000,
      keepaliveIntervalMs: this.#options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: this.#options.keepaliveCountMax ?? 4,
    });
    const connection: Connection = { client: opened.client, number: ++this.#connections, lost: false, negotiated: opened.negotiated };
    let reason = "the host closed the connection";
    opened.client.on("error", (error: Error) => (reason = error.message));
    const markLost = (): void => {
      if (connection.lost) return;
      connection.lost = true;
      if (!this.#closed) this.#emit({ type: "connection-lost", host: this.label, connection: connection.number, reason: redact(reason, target) });
    };
    // ssh2 emits these before it fails the connection's channels, so a retry never picks the dead client.
    opened.client.on("end", markLost);
    opened.client.on("close", markLost);
    if (this.#closed) {
      opened.client.end();
      throw new SshConnectionLostError(this.label, "because the session was closed");
    }
    this.#connection = connection;
    this.#emit({ type: "connected", host: this.label, connection: connection.number, hostKeyFingerprint: opened.hostKey.fingerprint, algorithms: summary(opened.negotiated) });
    return connection;
  }

  #emit(event: EsxiSshSessionEvent): void {
    this.#options.onEvent?.(event);
  }
}

function summary(negotiated: NegotiatedAlgorithms): NegotiatedSummary {
  return { kex: negotiated.kex, serverHostKey: negotiated.serverHostKey, cipher: negotiated.cs.cipher, mac: negotiated.cs.mac };
}

function defaultReconnectDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** (attempt - 1), 10_000);
}

