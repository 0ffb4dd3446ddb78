/**
 * Test support: a simulated ESXi host (packages/esxi-simulator, real SSH server and busybox sandbox) with a
 * random password and a throwaway state folder, and a session to it with a throwaway known-hosts file.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EsxiVersion } from "@esxbackup/domain";
import { systemClock } from "@esxbackup/domain";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import type { EsxiSshSessionEvent, EsxiSshSessionOptions } from "../ssh/esxi-ssh-session.js";
import { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { KnownHostsFile } from "../ssh/known-hosts-file.js";

export interface TestHost {
  host: SimulatedHost;
  password: string;
  work: string;
  knownHosts: KnownHostsFile;
  /** Every session event of sessions opened with `open` (for the "no password anywhere" check). */
  events: EsxiSshSessionEvent[];
  open(overrides?: Partial<EsxiSshSessionOptions>): Promise<EsxiSshSession>;
  stop(): Promise<void>;
}

export interface TestHostOptions {
  esxiVersion: EsxiVersion;
  authorizedKeys?: string[];
  /** `refusedOptions`: options the host's busybox lacks, per applet (the simulator's trimmed build). */
  shell?: { disabledApplets?: string[]; python?: boolean; refusedOptions?: Record<string, string[]> };
  /** VMs in the simulator's config syntax (packages/esxi-simulator `VmConfig`), on `datastore1`. */
  vms?: unknown[];
  /** Datastores besides `datastore1` (2 GiB), in the simulator's config syntax. */
  moreDatastores?: unknown[];
  /** root's password has expired: the host asks for a change after it (the simulator's `passwordExpired`). */
  passwordExpired?: boolean;
  /** The simulator's `tools` behaviours ([UNCONFIRMED] host behaviour, e.g. where invalid VM lines go). */
  tools?: Record<string, unknown>;
}

export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const work = mkdtempSync(join(tmpdir(), "esxbackup-ssh-test-"));
  // Characters a careless layer would mangle or a shell would interpret.
  const password = `p'w"$;\`${randomBytes(9).toString("base64url")}`;
  const config = parseHostConfig(
    {
      name: `esx${options.esxiVersion.replace(".", "")}`,
      esxiVersion: options.esxiVersion,
      ssh: { port: 0, users: [{ name: "root", password, authorizedKeys: options.authorizedKeys ?? [], ...(options.passwordExpired === true ? { passwordExpired: true } : {}) }] },
      shell: { disabledApplets: options.shell?.disabledApplets ?? [], python: options.shell?.python ?? true, ...(options.shell?.refusedOptions === undefined ? {} : { refusedOptions: options.shell.refusedOptions }) },
      datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 2 * 1024 * 1024 * 1024 }, ...(options.moreDatastores ?? [])],
      ...(options.vms !== undefined ? { vms: options.vms } : {}),
      ...(options.tools !== undefined ? { tools: options.tools } : {}),
    },
    "test",
  );
  const host = await SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
  const knownHosts = new KnownHostsFile(join(work, "known_hosts"));
  const events: EsxiSshSessionEvent[] = [];
  const sessions: EsxiSshSession[] = [];
  return {
    host,
    password,
    work,
    knownHosts,
    events,
    async open(overrides = {}) {
      const session = await EsxiSshSession.open({
        target: { host: "127.0.0.1", port: host.port, user: "root", password, esxiVersion: options.esxiVersion },
        knownHosts,
        onEvent: (event) => events.push(event),
        ...overrides,
      });
      sessions.push(session);
      return session;
    },
    async stop() {
      await Promise.all(sessions.map((s) => s.close()));
      await host.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
