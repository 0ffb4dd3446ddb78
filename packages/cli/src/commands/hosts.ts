/**
 * `esxbackup hosts trust --host H[:PORT] --user U --password-file F [--fingerprint SHA256:…] [--known-hosts FILE] [--json]`
 * — pins (or re-pins) a host's SSH key deliberately, the one way to accept a key that changed. With
 * --fingerprint (read on the host's console: `ssh-keygen -lf /etc/ssh/ssh_host_ecdsa_key.pub`) a different
 * key is refused before the password is sent. The password comes from a file, never from the command line.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import type { CommandContext } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";

interface TrustOptions {
  host: string;
  user: string;
  passwordFile?: string;
  identityFile?: string;
  fingerprint?: string;
  knownHosts?: string;
  json?: boolean;
}

export function registerHostsCommand(program: Command, context: CommandContext): void {
  const hosts = program.command("hosts").description("ESXi hosts: SSH host keys");
  hosts
    .command("trust")
    .description("pin the host's SSH key (first use, or after it changed) in esxbackup's known-hosts file")
    .requiredOption("--host <host[:port]>", "the ESXi host")
    .option("--user <name>", "user to log in as", "root")
    .option("--password-file <file>", "file holding the user's password")
    .option("--identity-file <file>", "private key (RSA or ECDSA) to log in with instead of a password")
    .option("--fingerprint <SHA256:…>", "the key the host must present (checked before any credential is sent)")
    .option("--known-hosts <file>", "known-hosts file (default $ESXBACKUP_KNOWN_HOSTS, else ~/.config/esxbackup/known_hosts)")
    .option("--json", "print the result as JSON")
    .action(async (options: TrustOptions) => {
      // Loaded here: ssh2 and the transporter are not needed by the CLI's other commands.
      const { KnownHostsFile, defaultKnownHostsPath, parseHostArgument, trustHostKey } = await import("@esxbackup/transporter");
      const { host, port } = parseHostArgument(options.host);
      if (options.passwordFile === undefined && options.identityFile === undefined) {
        throw new InvalidInputError("--password-file", "a password file or an --identity-file is needed to log in");
      }
      const password = options.passwordFile === undefined ? undefined : await readSecretFile(options.passwordFile, "--password-file");
      const privateKey = options.identityFile === undefined ? undefined : await readSecretFile(options.identityFile, "--identity-file");
      const knownHosts = new KnownHostsFile(options.knownHosts ?? defaultKnownHostsPath(context.env));
      const result = await trustHostKey({
        target: { host, port, user: options.user, ...(password !== undefined ? { password } : {}), ...(privateKey !== undefined ? { privateKey } : {}) },
        knownHosts,
        ...(options.fingerprint !== undefined ? { expectedFingerprint: options.fingerprint } : {}),
      });
      const pinned = { type: result.pinned.type, fingerprint: result.pinned.fingerprint };
      if (options.json === true) {
        const previous = result.previous.map((key) => ({ type: key.type, fingerprint: key.fingerprint }));
        context.stdout.write(`${JSON.stringify({ host: result.host, pinned, previous, changed: result.changed, knownHosts: knownHosts.path })}\n`);
      } else if (!result.changed) {
        context.stdout.write(`${result.host}: ${pinned.type} ${pinned.fingerprint} was already pinned in ${knownHosts.path}\n`);
      } else {
        const replaced = result.previous.length === 0 ? "" : ` (replaces ${result.previous.map((key) => `${key.type} ${key.fingerprint}`).join(", ")})`;
        context.stdout.write(`${result.host}: pinned ${pinned.type} ${pinned.fingerprint} in ${knownHosts.path}${replaced}\n`);
      }
      context.setExitCode(ExitCode.ok);
    });
}

async function readSecretFile(path: string, option: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InvalidInputError(option, `cannot read ${path} (${(error as { code?: string }).code ?? String(error)})`);
  }
  // One trailing newline is the editor's, not the secret's.
  const secret = text.replace(/\r?\n$/u, "");
  if (secret === "") throw new InvalidInputError(option, `${path} is empty`);
  return secret;
}
