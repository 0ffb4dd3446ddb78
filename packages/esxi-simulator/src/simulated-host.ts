/**
 * One running simulated ESXi host: the host model (datastores, VMs, tools), its sandbox (a mount namespace
 * rooted at `<stateDir>/root`), the tool bridge between them, and the SSH server in front.
 *
 * State directory of a host (kept across restarts):
 *   ssh/ssh_host_rsa_key, ssh/ssh_host_ecdsa_key   host keys, generated once
 *   root/                                          the sandbox root: ESXi's file system (vmfs/ is the model's)
 *   root.locked/                                   files held open by running VMs (the model's)
 *
 * `faults` is live: changes apply to the next connection / channel / login attempt.
 */
import { randomInt } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "@esxbackup/domain";
import { InvalidInputError } from "@esxbackup/domain";
import { ToolBridgeServer } from "./bridge/tool-bridge-server.js";
import type { HostConfig } from "./config/simulator-config.js";
import type { HostTools } from "./host-tools.js";
import { HostModel } from "./host/host-model.js";
import { prepareSandboxRoot } from "./sandbox/prepare-sandbox-root.js";
import { NODE_IN_SANDBOX_FALLBACK } from "./sandbox/sandbox-layout.js";
import { BusyFiles } from "./sandbox/busy-files.js";
import { SandboxNamespace } from "./sandbox/sandbox-namespace.js";
import { SandboxSessions } from "./sandbox/sandbox-sessions.js";
import { EsxiSshServer } from "./ssh/esxi-ssh-server.js";
import type { LoginAttempt, SshWireBytes } from "./ssh/esxi-ssh-server.js";
import { AccountLockout } from "./ssh/account-lockout.js";
import { esxiSshProfile } from "./ssh/esxi-ssh-profile.js";
import { HostKeyStore } from "./ssh/host-key-store.js";
import { noSshFaults } from "./ssh/ssh-faults.js";
import type { SshFaultSettings } from "./ssh/ssh-faults.js";

/** What the SSH side needs from the host model; `HostModel` in production, a stub in some tests. */
export interface HostBackend {
  readonly tools: HostTools;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type OpenHostBackend = (options: { rootDir: string; config: HostConfig; clock: Clock }) => Promise<HostBackend>;

export interface SimulatedHostOptions {
  /** This host's own state directory. */
  stateDir: string;
  clock: Clock;
  /** Default: the host model (`HostModel.open`). */
  openBackend?: OpenHostBackend;
  /** The busybox binary for the sandbox. Default: /bin/busybox from Debian's `busybox` package, which (unlike busybox-static) runs an applet only through its link, so leaving a link out really removes the applet. */
  busyboxPath?: string;
  /** SSH identification after `SSH-2.0-`; default per ESXi release. */
  sshIdent?: string;
  /** Initial SSH faults. */
  faults?: Partial<SshFaultSettings>;
  /**
   * Locked files as regular files whose open fails with EBUSY, through a FUSE mirror (sandbox/busy-files.ts):
   * `auto` (default) when python3-llfuse and /dev/fuse are there, `off` keeps the model's sockets (ENXIO).
   */
  busyFiles?: "auto" | "off";
  /** Randomness (maxstartups early drop); default crypto. */
  random?: () => number;
  onError?: (error: unknown) => void;
}

export class SimulatedHost {
  readonly name: string;
  readonly config: HostConfig;
  readonly port: number;
  readonly rootDir: string;
  readonly stateDir: string;
  /** Live SSH faults (drop after N bytes, throttle, reject logins). */
  readonly faults: SshFaultSettings;
  /** The host model behind the tools (a `HostModel` unless a backend was injected). */
  readonly backend: HostBackend;
  readonly #ssh: EsxiSshServer;
  readonly #bridge: ToolBridgeServer;
  readonly #namespace: SandboxNamespace;
  readonly #stopBusyFiles: () => Promise<void>;
  #stopped: Promise<void> | undefined;

  private constructor(parts: {
    config: HostConfig;
    port: number;
    rootDir: string;
    stateDir: string;
    faults: SshFaultSettings;
    backend: HostBackend;
    ssh: EsxiSshServer;
    bridge: ToolBridgeServer;
    namespace: SandboxNamespace;
    stopBusyFiles: () => Promise<void>;
  }) {
    this.name = parts.config.name;
    this.config = parts.config;
    this.port = parts.port;
    this.rootDir = parts.rootDir;
    this.stateDir = parts.stateDir;
    this.faults = parts.faults;
    this.backend = parts.backend;
    this.#ssh = parts.ssh;
    this.#bridge = parts.bridge;
    this.#namespace = parts.namespace;
    this.#stopBusyFiles = parts.stopBusyFiles;
  }
  /** The real host model, for tests that inspect inventory, workloads and point-in-time records. */
  get model(): HostModel | undefined {
    return this.backend instanceof HostModel ? this.backend : undefined;
  }


  /** The first configured user (normally root). */
  get user(): string {
    return this.config.ssh.users[0]?.name ?? "root";
  }

  /** `ssh://USER@127.0.0.1:PORT` */
  get url(): string {
    return `ssh://${this.user}@127.0.0.1:${this.port}`;
  }

  /** `SHA256:…` fingerprints of the host keys the next connection will see (RSA, ECDSA). */
  get hostKeyFingerprints(): string[] {
    return this.#ssh.hostKeyFingerprints;
  }

  /** Bytes on the SSH wire since the host started, both directions, every connection (closed ones too). */
  get sshWireBytes(): SshWireBytes {
    return this.#ssh.wireBytes;
  }

  /** Every SSH authentication request so far, in order, with its outcome (what the host's auth.log shows). */
  get loginAttempts(): readonly LoginAttempt[] {
    return this.#ssh.loginAttempts;
  }

  /** New host keys, persisted; the next connection presents them (as a reinstalled host would). */
  async rotateHostKey(): Promise<void> {
    await this.#ssh.rotateHostKeys();
  }

  static async start(config: HostConfig, options: SimulatedHostOptions): Promise<SimulatedHost> {
    if (config.ssh.users.length === 0) throw new InvalidInputError(`host ${config.name}: ssh.users`, "at least one user is needed to log in");
    const onError = options.onError ?? (() => undefined);
    const stateDir = options.stateDir;
    const rootDir = join(stateDir, "root");
    const busyboxPath = options.busyboxPath ?? "/bin/busybox";
    if (!existsSync(busyboxPath)) throw new InvalidInputError("busybox", `${busyboxPath} not found (install Debian's busybox package)`);
    const node = realpathSync(process.execPath);
    const nodeUnderUsr = node.startsWith("/usr/");
    const python3 = ["/usr/bin/python3"].find((p) => existsSync(p));


    const backend = await (options.openBackend ?? openHostModel)({ rootDir, config, clock: options.clock });
    const cleanups: (() => Promise<void>)[] = [() => backend.stop()];
    try {
      await prepareSandboxRoot({
        rootDir,
        host: config,
        busyboxPath,
        nodeInSandbox: nodeUnderUsr ? node : NODE_IN_SANDBOX_FALLBACK,
        python3Path: python3,
      });
      const bridge = await ToolBridgeServer.start(() => backend.tools, onError);
      cleanups.push(() => bridge.close());
      const namespace = await SandboxNamespace.start({
        rootDir,
        bridgeDir: bridge.dir,
        nodeBinary: nodeUnderUsr ? undefined : node,
        execInstalledOnly: config.shell.execInstalledOnly ?? config.esxiVersion === "8.0",
        hostName: config.name,
      });
      cleanups.push(() => namespace.stop());
      let stopBusyFiles = (): Promise<void> => Promise.resolve();
      const model = backend instanceof HostModel ? backend : undefined;
      if (model !== undefined && python3 !== undefined && options.busyFiles !== "off" && BusyFiles.available(python3)) {
        const busy = await BusyFiles.start({ namespace, python3Path: python3, rootDir, lockDir: model.lockDir, mountDir: join(stateDir, "busy-fs") });
        stopBusyFiles = async () => {
          model.setLockListener(undefined);
          await busy.stop();
        };
        cleanups.push(stopBusyFiles);
        // A mount that fails leaves the model's socket in place (ENXIO): reported, never failing the operation.
        const report = (work: Promise<void>): Promise<void> => work.catch((error: unknown) => onError(error));
        model.setLockListener({ locked: (path) => report(busy.locked(path)), releasing: (path) => report(busy.releasing(path)) });
        for (const file of await model.lockedFiles()) await report(busy.locked(file));
      }
      const faults: SshFaultSettings = { ...noSshFaults(), ...options.faults };
      const ssh = await EsxiSshServer.create({
        profile: esxiSshProfile(config.esxiVersion),
        ...(options.sshIdent !== undefined ? { ident: options.sshIdent } : {}),
        keyStore: new HostKeyStore(join(stateDir, "ssh")),
        users: config.ssh.users,
        rootDir,
        faults,
        runner: new SandboxSessions(namespace),
        lockout: new AccountLockout(
          { lockFailures: config.ssh.accountLockFailures, unlockTimeSeconds: config.ssh.accountUnlockTimeSeconds },
          () => options.clock.now().getTime(),
        ),
        random: options.random ?? (() => randomInt(0, 1_000_000) / 1_000_000),
        onError,
      });
      cleanups.push(() => ssh.close());
      await backend.start();
      const port = await ssh.listen(config.ssh.port);
      return new SimulatedHost({ config, port, rootDir, stateDir, faults, backend, ssh, bridge, namespace, stopBusyFiles });
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      throw error;
    }
  }

  /** Closes the SSH server and its connections, kills the sandbox, stops the workloads. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#ssh.close();
      await this.#stopBusyFiles();
      await this.#namespace.stop();
      await this.#bridge.close();
      await this.backend.stop();
    })();
    return this.#stopped;
  }
}

/** Loaded lazily so that tests which inject a backend do not load the host model. */
const openHostModel: OpenHostBackend = async (options) => {
  return HostModel.open(options);
};
