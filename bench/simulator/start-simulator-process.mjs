// Starts `esxbackup simulator` (one ESXi host) in its own process, as a host is another machine, and
// resolves once it accepts SSH connections. The caller stops it with `stop()`.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../packages/cli/bin/esxbackup.js", import.meta.url));

export async function startSimulatorProcess({ esxiVersion, password, stateDir }) {
  // The password goes in the environment, never on a command line (where `ps` shows it).
  const simulator = spawn(process.execPath, [bin, "simulator", "--esxi-version", esxiVersion, "--state-dir", stateDir], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ESXBACKUP_SIMULATOR_PASSWORD: password },
  });
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: simulator.stdout }).on("line", (line) => {
      const m = /ssh:\/\/\S+@127\.0\.0\.1:(\d+)/u.exec(line);
      if (m) resolve(Number(m[1]));
    });
    simulator.once("exit", () => reject(new Error("simulator exited")));
  });
  return {
    port,
    async stop() {
      simulator.kill("SIGTERM");
      await new Promise((resolve) => simulator.once("exit", resolve));
    },
  };
}
