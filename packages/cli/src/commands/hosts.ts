/**
 * `esxbackup hosts trust --host H[:PORT] --user U --password-file F [--fingerprint SHA256:…] [--known-hosts FILE] [--json]`
 * — pins (or re-pins) a host's SSH key deliberately, the one way to accept a key that changed. With
 * --fingerprint (read on the host's console: `ssh-keygen -lf /etc/ssh/ssh_host_ecdsa_key.pub`) a different
 * key is refused before the password is sent. The password comes from a file, never from the command line.
 */
import type { Command } from "commander";
import type { CommandContext } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { addHostLoginOptions, hostLogin, type HostLoginOptions } from "./host-login.js";

interface TrustOptions extends HostLoginOptions {
  fingerprint?: string;
  json?: boolean;
}

export function registerHostsCommand(program: Command, context: CommandContext): void {
  const hosts = program.command("hosts").description("ESXi hosts: SSH host keys");
  addHostLoginOptions(hosts.command("trust").description("pin the host's SSH key (first use, or after it changed) in esxbackup's known-hosts file"))
    .option("--fingerprint <SHA256:…>", "the key the host must present (checked before any credential is sent)")
    .option("--json", "print the result as JSON")
    .action(async (options: TrustOptions) => {
      const { target, knownHosts } = await hostLogin(options, context.env);
      // Loaded here: ssh2 and the transporter are not needed by the CLI's other commands.
      const { trustHostKey } = await import("@esxbackup/transporter");
      const result = await trustHostKey({
        target,
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
