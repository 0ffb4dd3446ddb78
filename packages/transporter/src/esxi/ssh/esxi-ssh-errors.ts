/**
 * How talking to an ESXi host over SSH can fail, as typed errors callers branch on (retry a lost
 * connection, stop and tell the user about a password or a host key). They form one taxonomy and are kept
 * together so it reads in one place. Every message names the host and what was being done; none ever
 * contains a credential (messages are built from our own words, foreign messages pass through `redact`).
 */
import { EsxbackupError } from "@esxbackup/domain";
import { describeRefusedLogin } from "./describe-refused-login.js";
import type { RefusedLogin } from "./describe-refused-login.js";

/** Longest piece of a command or of its stderr quoted in a message. */
const QUOTE_LIMIT_CHARS = 300;

export function quoteForMessage(text: string): string {
  const clean = text.replace(/\s+/gu, " ").trim();
  return clean.length <= QUOTE_LIMIT_CHARS ? clean : `${clean.slice(0, QUOTE_LIMIT_CHARS)}…`;
}

/** What to run on the host's console to read its key fingerprints (ssh-keygen is not on ESXi's PATH, esxi-facts §4). */
const HOST_KEY_LISTING = "for f in /etc/ssh/ssh_host_*_key.pub; do /usr/lib/vmware/openssh/bin/ssh-keygen -lf $f; done";

export abstract class EsxiSshError extends EsxbackupError {
  /** `host:port` */
  readonly host: string;
  /** True when the same operation may succeed if tried again (network trouble), false when a person must act. */
  abstract readonly retryable: boolean;

  constructor(code: string, host: string, message: string, options?: { cause?: unknown }) {
    super(code, `${host}: ${message}`, options);
    this.host = host;
  }
}

/**
 * TCP connect, DNS, handshake or readiness timeout: nothing was authenticated. Retryable, unless the
 * password had been sent when it happened (`retryable: false`): the host may have been refusing it slowly,
 * and a second attempt would count against the account's lock again.
 */
export class SshConnectError extends EsxiSshError {
  readonly retryable: boolean;
  constructor(host: string, problem: string, options?: { cause?: unknown; retryable?: boolean }) {
    super("ssh_connect_failed", host, `cannot open an SSH connection: ${problem}`, options === undefined ? undefined : { cause: options.cause });
    this.retryable = options?.retryable ?? true;
  }
}

/**
 * The host refused our credentials, or asked what we do not answer (an expired password's change, a
 * second factor). Not retried: a wrong password retried can lock the account.
 */
export class SshAuthError extends EsxiSshError {
  readonly retryable = false;
  readonly user: string;
  readonly methodsTried: string[];
  readonly login: RefusedLogin;
  constructor(host: string, login: RefusedLogin) {
    super("ssh_auth_failed", host, describeRefusedLogin(login));
    this.user = login.user;
    this.methodsTried = login.methodsTried;
    this.login = login;
  }
}

/** The host presented a key other than the one pinned for it: refused, as OpenSSH does. */
export class HostKeyChangedError extends EsxiSshError {
  readonly retryable = false;
  readonly pinnedFingerprints: string[];
  readonly presentedFingerprint: string;
  readonly knownHostsPath: string;
  constructor(options: { host: string; hostArgument: string; pinned: { type: string; fingerprint: string }[]; presented: { type: string; fingerprint: string }; knownHostsPath: string }) {
    const pinned = options.pinned.map((key) => `${key.type} ${key.fingerprint}`).join(", ");
    super(
      "ssh_host_key_changed",
      options.host,
      `HOST KEY CHANGED: the host presented ${options.presented.type} ${options.presented.fingerprint} but ${pinned} is pinned in ${options.knownHostsPath}. ` +
        `Someone may be intercepting the connection, or the host was reinstalled. Check the key on the host's console ` +
        `(${HOST_KEY_LISTING}); if it is the new one, accept it with: ` +
        `esxbackup hosts trust --host ${options.hostArgument} --fingerprint ${options.presented.fingerprint}`,
    );
    this.pinnedFingerprints = options.pinned.map((key) => key.fingerprint);
    this.presentedFingerprint = options.presented.fingerprint;
    this.knownHostsPath = options.knownHostsPath;
  }
}

/** No key is pinned for the host and the policy does not allow trust on first use. */
export class HostKeyNotTrustedError extends EsxiSshError {
  readonly retryable = false;
  readonly presentedFingerprint: string;
  constructor(options: { host: string; hostArgument: string; presented: { type: string; fingerprint: string }; knownHostsPath: string }) {
    super(
      "ssh_host_key_unknown",
      options.host,
      `no host key is pinned in ${options.knownHostsPath} and the host presented ${options.presented.type} ${options.presented.fingerprint}; ` +
        `check it on the host's console (${HOST_KEY_LISTING}) and pin it with: esxbackup hosts trust --host ${options.hostArgument} --fingerprint ${options.presented.fingerprint}`,
    );
    this.presentedFingerprint = options.presented.fingerprint;
  }
}

/** The connection broke (reset, keep-alive unanswered, host closed it) while something was using it. */
export class SshConnectionLostError extends EsxiSshError {
  readonly retryable = true;
  constructor(host: string, during: string, options?: { cause?: unknown }) {
    super("ssh_connection_lost", host, `connection lost ${during}`, options);
  }
}

/** A command ran longer than its timeout; its channel was closed, which kills it on the host. */
export class SshCommandTimeoutError extends EsxiSshError {
  readonly retryable = true;
  readonly timeoutMs: number;
  constructor(host: string, command: string, timeoutMs: number, idle: boolean) {
    super(
      "ssh_command_timeout",
      host,
      `${idle ? "no output" : "no result"} within ${timeoutMs} ms from \`${quoteForMessage(command)}\`; stopped (KILL sent and its channel closed)`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The caller cancelled (abort signal); the command was stopped like a timed-out one. */
export class SshCommandCancelledError extends EsxiSshError {
  readonly retryable = false;
  constructor(host: string, command: string) {
    super("ssh_command_cancelled", host, `\`${quoteForMessage(command)}\` was cancelled (KILL sent and its channel closed)`);
  }
}

/** A command ended with a non-zero exit status (or a signal). */
export class SshCommandFailedError extends EsxiSshError {
  readonly retryable = false;
  readonly exitCode: number | null;
  readonly signal: string | undefined;
  readonly stderr: string;
  /**
   * `stdout`: given for commands that report their failures there (vim-cmd prints `Power on failed`, with
   * nothing on stderr), quoted in the message when stderr says nothing.
   */
  constructor(host: string, command: string, result: { exitCode: number | null; signal?: string | undefined; stderr: string; stdout?: string }) {
    const status = result.exitCode !== null ? `exit code ${result.exitCode}` : `signal ${result.signal ?? "unknown"}`;
    const said = quoteForMessage(result.stderr) || quoteForMessage(result.stdout ?? "");
    super("ssh_command_failed", host, `\`${quoteForMessage(command)}\` failed with ${status}${said === "" ? "" : `: ${said}`}`);
    this.exitCode = result.exitCode;
    this.signal = result.signal;
    this.stderr = result.stderr;
  }
}

/** Pinning a key failed to reach the disk. */
export class KnownHostsWriteError extends EsxiSshError {
  readonly retryable = false;
  constructor(host: string, path: string, options?: { cause?: unknown }) {
    super("known_hosts_write_failed", host, `cannot write the pinned host key to ${path}`, options);
  }
}
