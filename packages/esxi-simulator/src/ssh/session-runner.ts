import type { ServerChannel } from "ssh2";

/** The terminal a client asked for with `pty-req`. */
export interface TerminalRequest {
  term: string;
  rows: number;
  cols: number;
}

export interface SessionContext {
  user: string;
  /** `client-address client-port server-address server-port`, as in $SSH_CONNECTION. */
  connection: string;
  pty: TerminalRequest | undefined;
  /** Output rate limit for this channel (a fault), or null. */
  throttleBytesPerSecond: number | null;
}

/**
 * What the SSH server asks of the host behind it: run a command, a shell or the sftp subsystem on an
 * accepted channel. The runner owns the channel from then on: it sends the exit status and closes it, and
 * kills what it started when the client closes the channel first.
 */
export interface SessionRunner {
  exec(command: string, channel: ServerChannel, context: SessionContext): void;
  shell(channel: ServerChannel, context: SessionContext): void;
  /** Returns false when the subsystem is not available (the request is then refused). */
  sftp(channel: ServerChannel, context: SessionContext): void;
  readonly sftpAvailable: boolean;
}
