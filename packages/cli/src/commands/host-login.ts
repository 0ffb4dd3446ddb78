/**
 * The options every command that logs in to an ESXi host takes (`--host H[:PORT] --user U
 * --password-file F | --identity-file K --known-hosts FILE`), and what they become: the SSH target and our
 * known-hosts file. Secrets come from files, never from the command line, and live only in memory.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import type { EsxiSshSession, EsxiSshTarget, KnownHostsFile, RefusedLogins } from "@esxbackup/transporter";
import type { CommandContext } from "../command-context.js";

export interface HostLoginOptions {
  host: string;
  user: string;
  passwordFile?: string;
  identityFile?: string;
  knownHosts?: string;
}

/** `host`: how the host option is spelled and whether it is required (`restore` takes an optional `--to-host`). */
export function addHostLoginOptions(command: Command, host: { flags: string; required: boolean } = { flags: "--host <host[:port]>", required: true }): Command {
  const withHost = host.required ? command.requiredOption(host.flags, "the ESXi host") : command.option(host.flags, "the ESXi host");
  return withHost
    .option("--user <name>", "user to log in as", "root")
    .option("--password-file <file>", "file holding the user's password")
    .option("--identity-file <file>", "private key (RSA or ECDSA) to log in with instead of a password")
    .option("--known-hosts <file>", "known-hosts file (default $ESXBACKUP_KNOWN_HOSTS, else ~/.config/esxbackup/known_hosts)");
}

/**
 * Where and how to log in, for every session of one command. `refusedLogins` is shared by them all: once
 * the host refused the login, no session of the command tries it again (a backup opens one per VM, and
 * each refused password counts toward ESXi's account lock).
 */
export interface HostLogin {
  target: EsxiSshTarget;
  knownHosts: KnownHostsFile;
  refusedLogins: RefusedLogins;
}

/** Checks the options and reads the secret files; throws InvalidInputError naming the option. */
export async function hostLogin(options: HostLoginOptions, env: NodeJS.ProcessEnv): Promise<HostLogin> {
  // Loaded here: ssh2 and the transporter are not needed by the CLI's other commands.
  const { KnownHostsFile, RefusedLogins, defaultKnownHostsPath, parseHostArgument } = await import("@esxbackup/transporter");
  const { host, port } = parseHostArgument(options.host);
  if (options.passwordFile === undefined && options.identityFile === undefined) {
    throw new InvalidInputError("--password-file", "a password file or an --identity-file is needed to log in");
  }
  const password = options.passwordFile === undefined ? undefined : await readSecretFile(options.passwordFile, "--password-file");
  const privateKey = options.identityFile === undefined ? undefined : await readSecretFile(options.identityFile, "--identity-file");
  return {
    target: { host, port, user: options.user, ...(password !== undefined ? { password } : {}), ...(privateKey !== undefined ? { privateKey } : {}) },
    knownHosts: new KnownHostsFile(options.knownHosts ?? defaultKnownHostsPath(env)),
    refusedLogins: new RefusedLogins(),
  };
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

/** Opens the session, saying on stderr when the host's key was pinned on this first connection. */
export async function openHostSession(login: HostLogin, context: Pick<CommandContext, "stderr">): Promise<EsxiSshSession> {
  // Loaded here: ssh2 and the transporter are not needed by the CLI's other commands.
  const { EsxiSshSession } = await import("@esxbackup/transporter");
  return EsxiSshSession.open({
    ...login,
    onEvent: (event) => {
      if (event.type === "host-key-pinned") context.stderr.write(`esxbackup: ${event.host}: first connection, pinned its key ${event.fingerprint} in ${event.knownHostsPath}\n`);
      if (event.type === "connection-lost") context.stderr.write(`esxbackup: ${event.host}: connection lost (${event.reason}); reconnecting\n`);
    },
  });
}

/** sshd's MaxSessions is 10 per connection: a command's data channels plus its own commands must fit (docs/adr/0024). */
export const MAX_SSH_CHANNELS = 8;

/** `--channels N` of the commands that move disk data over SSH. */
export function parseChannelsOption(text: string): number {
  const n = Number(text);
  if (!/^\d+$/u.test(text) || !Number.isSafeInteger(n) || n < 1 || n > MAX_SSH_CHANNELS) {
    throw new InvalidInputError("--channels", `expected a whole number from 1 to ${MAX_SSH_CHANNELS} (got ${JSON.stringify(text)})`);
  }
  return n;
}
