/**
 * The real OpenSSH client, configured the way a backup client talks to a stock ESXi 8 host: the algorithm
 * lists of the ESXi 8.0.2 `sshd_config` (esxi-facts §4, [verbatim]), keyboard-interactive password through
 * `sshpass -e` (the password travels in SSHPASS, never on a command line), a private known_hosts file with
 * `StrictHostKeyChecking=accept-new`. `run` collects the output; `spawn` hands back the process so a test
 * can stream (and hold back) what the remote command prints.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/** ESXi 8.0.2 `sshd_config`, verbatim lists (esxi-facts §4). */
export const ESXI8_CIPHERS = "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr";
export const ESXI8_KEX = "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
export const ESXI8_MACS = "hmac-sha2-256,hmac-sha2-512";
export const ESXI8_HOST_KEY_ALGORITHMS = "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-256,rsa-sha2-512";

export interface SshCommandResult {
  /** ssh's exit status: the remote command's, or 255 for connection and authentication failures. */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface Esxi8SshClientOptions {
  port: number;
  user: string;
  password: string;
  /** A file of the test's own (created on first use). */
  knownHostsFile: string;
}

/** Quotes one word for a POSIX shell (busybox ash on the host). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/gu, `'\\''`)}'`;
}

export class Esxi8SshClient {
  readonly #options: Esxi8SshClientOptions;

  constructor(options: Esxi8SshClientOptions) {
    this.#options = options;
  }

  /** Starts `command` on the host; stdin is closed at once. The caller reads stdout and stderr. */
  spawn(command: string): ChildProcessByStdio<Writable, Readable, Readable> {
    const o = this.#options;
    const args = [
      "-e",
      "ssh",
      "-F", "/dev/null",
      "-p", String(o.port),
      "-c", ESXI8_CIPHERS,
      "-o", `KexAlgorithms=${ESXI8_KEX}`,
      "-o", `MACs=${ESXI8_MACS}`,
      "-o", `HostKeyAlgorithms=${ESXI8_HOST_KEY_ALGORITHMS}`,
      "-o", `UserKnownHostsFile=${o.knownHostsFile}`,
      "-o", "StrictHostKeyChecking=accept-new",
      "-o", "PreferredAuthentications=keyboard-interactive",
      "-o", "PubkeyAuthentication=no",
      "-o", "NumberOfPasswordPrompts=1",
      "-o", "ConnectTimeout=10",
      "-o", "LogLevel=ERROR",
      `${o.user}@127.0.0.1`,
      command,
    ];
    const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/", SSHPASS: o.password };
    const child = spawn("sshpass", args, { env, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.on("error", () => undefined);
    child.stdin.end();
    return child;
  }

  /** Runs `command` and collects everything it prints. */
  run(command: string): Promise<SshCommandResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(command);
      const out: Buffer[] = [];
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk: string) => (err += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    });
  }
}
