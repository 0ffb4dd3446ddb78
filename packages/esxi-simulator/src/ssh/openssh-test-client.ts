/**
 * Drives the real OpenSSH client (`ssh`, with `sshpass` for keyboard-interactive passwords) against a
 * simulated host, for tests. The password travels in the SSHPASS environment variable, never on a command
 * line; host keys go to a private known_hosts file. Needs the Debian packages openssh-client and sshpass.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { join } from "node:path";

export interface SshResult {
  /** Exit status of ssh (255 for connection or authentication failures). */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface SshRunOptions {
  /** Keyboard-interactive password (through sshpass); omit for key-only attempts. */
  password?: string;
  /** A private key file; enables public-key authentication with this key only. */
  identity?: string;
  /** More `ssh` arguments (`-c cipher`, `-o …`). */
  args?: string[];
  stdin?: Buffer;
  /** Host key checking: "accept-new" (default) or "yes" (fail on an unknown or changed key). */
  strictHostKeyChecking?: "accept-new" | "yes";
}

export class OpenSshTestClient {
  readonly #port: number;
  readonly #user: string;
  readonly #knownHosts: string;

  constructor(options: { port: number; user: string; dir: string }) {
    this.#port = options.port;
    this.#user = options.user;
    this.#knownHosts = join(options.dir, "known_hosts");
  }

  /**
   * Starts `command` on the host and hands back the ssh process, so a test can stream (and hold back)
   * what the remote command prints. `options.stdin` is written and stdin closed at once.
   */
  spawn(command: string, options: SshRunOptions = {}): ChildProcessByStdio<Writable, Readable, Readable> {
    // ssh keeps the first value it sees for an option, so the caller's come first.
    const args = [
      ...(options.args ?? []),
      "-F", "/dev/null",
      "-p", String(this.#port),
      "-o", `UserKnownHostsFile=${this.#knownHosts}`,
      "-o", `StrictHostKeyChecking=${options.strictHostKeyChecking ?? "accept-new"}`,
      "-o", "ConnectTimeout=10",
      "-o", "LogLevel=ERROR",
      "-o", "NumberOfPasswordPrompts=1",
    ];
    if (options.identity !== undefined) {
      args.push("-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-i", options.identity);
    } else {
      args.push("-o", "PubkeyAuthentication=no", "-o", "IdentityFile=/dev/null");
    }
    args.push(`${this.#user}@127.0.0.1`, command);
    const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/" };
    let file = "ssh";
    if (options.password !== undefined && options.identity === undefined) {
      env["SSHPASS"] = options.password;
      args.unshift("-e", "ssh");
      file = "sshpass";
    }
    const child = spawn(file, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
    return child;
  }

  /** Runs `command` and collects everything it prints. */
  run(command: string, options: SshRunOptions = {}): Promise<SshResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(command, options);
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
