/**
 * Starts every host of a simulator configuration, each with its own SSH port and state directory
 * (`<stateDir>/<host name>`), and stops them together.
 */
import { resolve, join } from "node:path";
import { InvalidInputError } from "@esxbackup/domain";
import type { SimulatorConfig } from "./config/simulator-config.js";
import { SimulatedHost } from "./simulated-host.js";
import type { SimulatedHostOptions } from "./simulated-host.js";

export interface SimulatorOptions extends Omit<SimulatedHostOptions, "stateDir"> {
  /** Parent of the hosts' state directories. Default: ./.esxbackup/simulator */
  stateDir?: string;
}

export interface Simulator {
  readonly hosts: SimulatedHost[];
  host(name: string): SimulatedHost;
  /** Stops every host; idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_SIMULATOR_STATE_DIR = join(".esxbackup", "simulator");

export async function startSimulator(config: SimulatorConfig, options: SimulatorOptions): Promise<Simulator> {
  const base = resolve(options.stateDir ?? DEFAULT_SIMULATOR_STATE_DIR);
  const names = new Set<string>();
  for (const [i, host] of config.hosts.entries()) {
    if (names.has(host.name)) throw new InvalidInputError(`hosts[${i}].name`, `two hosts are named "${host.name}"`);
    names.add(host.name);
  }
  const hosts: SimulatedHost[] = [];
  try {
    for (const host of config.hosts) hosts.push(await SimulatedHost.start(host, { ...options, stateDir: join(base, host.name) }));
  } catch (error) {
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    hosts,
    host(name) {
      const found = hosts.find((h) => h.name === name);
      if (found === undefined) throw new InvalidInputError("host", `no simulated host named "${name}"`);
      return found;
    },
    stop() {
      stopped ??= Promise.all(hosts.map((h) => h.stop())).then(() => undefined);
      return stopped;
    },
  };
}
