/**
 * `esxbackup simulator` — runs one or more simulated ESXi hosts (packages/esxi-simulator) until SIGINT or
 * SIGTERM. Prints `host NAME ssh://USER@127.0.0.1:PORT` per host once it accepts connections, then stops
 * cleanly (SSH servers closed, sandboxes and workloads stopped) and exits 0 when signalled.
 *
 * Then, per host, `try: ssh -p PORT USER@127.0.0.1 vim-cmd vmsvc/getallvms`: the command to try next.
 *
 * Without --config it runs the default demo host with user root. The password comes from --password, else
 * from ESXBACKUP_SIMULATOR_PASSWORD, else it is generated and printed once.
 */
import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { ESXI_VERSIONS, InvalidInputError, systemClock } from "@esxbackup/domain";
import type { EsxiVersion } from "@esxbackup/domain";
import type { SimulatorConfig } from "@esxbackup/esxi-simulator";
import type { CommandContext } from "../command-context.js";

interface SimulatorOptions {
  config?: string;
  port?: string;
  password?: string;
  esxiVersion?: string;
  stateDir?: string;
}

export function registerSimulatorCommand(program: Command, context: CommandContext): void {
  program
    .command("simulator")
    .description("run simulated ESXi hosts (SSH, busybox shell, vim-cmd & co.) until interrupted")
    .option("--config <file>", "simulator configuration (JSON); default: one demo host")
    .option("--port <n>", "SSH port of the default host (0 = any free port)", "0")
    .option("--password <p>", "root password of the default host (default: $ESXBACKUP_SIMULATOR_PASSWORD, else generated)")
    .option("--esxi-version <v>", `ESXi release of the default host: ${ESXI_VERSIONS.join(", ")}`, "7.0")
    .option("--state-dir <dir>", "where hosts keep their files and SSH host keys (default ./.esxbackup/simulator)")
    .addHelpText(
      "after",
      "\nAs an ordinary user this needs unprivileged user namespaces (kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0);\nit also needs /bin/busybox (Debian's busybox package), unshare, nsenter and chroot (util-linux, coreutils).",
    )
    .action(async (options: SimulatorOptions, command: Command) => {
      // Loaded here, not at the top: the simulator pulls in ssh2 and more, which every other command of this
      // CLI (started once per backup by scripts) would otherwise pay for at start-up.
      const { startSimulator } = await import("@esxbackup/esxi-simulator");
      const config = await buildConfig(options, command, context);
      const simulator = await startSimulator(config, {
        ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
        clock: systemClock,
        onError: (error: unknown) => context.stderr.write(`esxbackup simulator: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      try {
        for (const host of simulator.hosts) context.stdout.write(`host ${host.name} ${host.url}\n`);
        // What to try next, exactly (the quick start ends here): the host's SSH login, as on a real host.
        for (const host of simulator.hosts) context.stdout.write(`try: ${sshCommand(new URL(host.url))}\n`);
        await new Promise<void>((resolve) => {
          if (context.signal.aborted) resolve();
          else context.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      } finally {
        await simulator.stop();
      }
      context.stdout.write("simulator stopped\n");
      context.setExitCode(0);
    });
}

/** The OpenSSH command that lists the VMs of the host at `url` (ssh://USER@HOST:PORT). */
export function sshCommand(url: URL): string {
  return `ssh -p ${url.port === "" ? "22" : url.port} ${decodeURIComponent(url.username)}@${url.hostname} vim-cmd vmsvc/getallvms`;
}

async function buildConfig(options: SimulatorOptions, command: Command, context: CommandContext): Promise<SimulatorConfig> {
  if (options.config !== undefined) {
    for (const flag of ["port", "password", "esxiVersion"] as const) {
      if (command.getOptionValueSource(flag) === "cli") {
        throw new InvalidInputError(`--${flag === "esxiVersion" ? "esxi-version" : flag}`, "applies to the default host only; set it in the --config file instead");
      }
    }
    const { loadSimulatorConfigFile } = await import("@esxbackup/esxi-simulator");
    return loadSimulatorConfigFile(options.config);
  }
  const port = Number(options.port ?? "0");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError("--port", `must be 0-65535 (got ${JSON.stringify(options.port)})`);
  const esxiVersion = ESXI_VERSIONS.find((v) => v === options.esxiVersion);
  if (esxiVersion === undefined) throw new InvalidInputError("--esxi-version", `must be one of ${ESXI_VERSIONS.join(", ")} (got ${JSON.stringify(options.esxiVersion)})`);
  let password = options.password ?? context.env["ESXBACKUP_SIMULATOR_PASSWORD"];
  if (password === undefined || password === "") {
    password = randomBytes(12).toString("base64url");
    context.stdout.write(`password for root: ${password}\n`);
  }
  const { defaultSimulatorConfig } = await import("@esxbackup/esxi-simulator");
  return defaultSimulatorConfig({ password, esxiVersion: esxiVersion satisfies EsxiVersion, port });
}
