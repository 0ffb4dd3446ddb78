/**
 * SSH-side faults a test can switch on and off while the host runs (through `SimulatedHost.faults`) or set
 * in advance. Read at the moment they apply: `dropConnectionAfterBytes` and
 * `dropConnectionsAfterReceivedBytes` when a connection is accepted,
 * `throttleBytesPerSecond` when a channel starts, `rejectLogins`, `loginsLeft` and `noticeAfterRefusedPassword` at every
 * authentication attempt.
 */
export interface SshFaultSettings {
  /** Cut each new TCP connection after the server has sent this many bytes (handshake included). */
  dropConnectionAfterBytes: number | null;
  /**
   * Cut the next `connections` new TCP connections once the server has received `bytes` bytes on each
   * (handshake included): a link that dies during an upload. Each connection accepted takes one; the
   * setting clears itself when none are left.
   */
  dropConnectionsAfterReceivedBytes: { bytes: number; connections: number } | null;
  /** Limit each new channel's output (stdout + stderr of the command) to this rate. */
  throttleBytesPerSecond: number | null;
  /** Refuse every login, whatever the credentials. */
  rejectLogins: boolean;
  /**
   * Accept this many more logins, then refuse every one, as if the password were changed part-way
   * through a run; counts down with each login accepted. Null: no limit.
   */
  loginsLeft: number | null;
  /**
   * What PAM says after a refused password, sent as sshd sends messages left after the last question: alone,
   * in a keyboard-interactive round without prompts, before the refusal. Linux-PAM's pam_faillock says
   * `The account is locked due to 5 failed logins.` there; what ESXi's PAM says after a refusal, if
   * anything, is [UNCONFIRMED] (the one capture, a 6.x lock, came before the prompt). Null: nothing.
   */
  noticeAfterRefusedPassword: string | null;
}

export function noSshFaults(): SshFaultSettings {
  return { dropConnectionAfterBytes: null, dropConnectionsAfterReceivedBytes: null, throttleBytesPerSecond: null, rejectLogins: false, loginsLeft: null, noticeAfterRefusedPassword: null };
}
