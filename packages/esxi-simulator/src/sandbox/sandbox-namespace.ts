/**
 * One long-lived mount namespace per simulated host, with the host's sandbox root as its root directory.
 * Every command of the host is started inside it with `nsenter` (≈2 ms), instead of building the mounts
 * again for each exec (≈6 ms with `unshare`).
 *
 * Set-up: `unshare --mount` (as root) or `unshare --user --map-root-user --mount` (as an ordinary user,
 * which needs unprivileged user namespaces) runs a short script that bind-mounts /usr (read-only), /lib and
 * /lib64 when they are real directories, a few /dev nodes, /dev/pts, /proc and the tool bridge's socket
 * directory into the root, then `chroot`s into it and waits on its stdin. The namespace lives as long as
 * that holder process; the holder exits when the simulator closes the pipe or dies.
 *
 * Contract: `spawn` starts a process in its own process group (kill it with `killTree`); inside, it runs as
 * root with the sandbox root as `/` and `/` as its working directory.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { SandboxError } from "./sandbox-error.js";
import { BRIDGE_DIR_IN_SANDBOX, DEVICE_NODES, NODE_IN_SANDBOX_FALLBACK } from "./sandbox-layout.js";

const SETUP_SCRIPT = `set -e
R=$1
# Its own UTS namespace: uname -n, hostname and the prompt name the configured host.
if [ -n "$5" ]; then echo "$5" > /proc/sys/kernel/hostname; fi
if [ "$4" = 1 ]; then
  # execInstalledOnly (ESXi 8): the root is bound onto itself noexec; only /bin and /sbin (the "installed"
  # files) and the /usr bind below may run. Done first, so the later mounts sit on the noexec root.
  mount --bind "$R" "$R"
  mount -o remount,bind,noexec "$R"
  for d in bin sbin; do mount --bind "$R/$d" "$R/$d"; mount -o remount,bind,exec "$R/$d"; done
fi
mount --bind -o ro /usr "$R/usr"
for d in lib lib64; do
  if [ -d "/$d" ] && [ ! -L "/$d" ]; then mount --bind -o ro "/$d" "$R/$d"; fi
done
for n in ${DEVICE_NODES.join(" ")}; do
  if [ -e "/dev/$n" ]; then mount --bind "/dev/$n" "$R/dev/$n"; fi
done
if [ -d /dev/pts ]; then mount --rbind /dev/pts "$R/dev/pts" || true; fi
mount --rbind /proc "$R/proc"
mount --bind "$2" "$R${BRIDGE_DIR_IN_SANDBOX}"
if [ -n "$3" ]; then mount --bind -o ro "$3" "$R${NODE_IN_SANDBOX_FALLBACK}"; fi
echo "ready $$"
exec chroot "$R" /bin/busybox sh -c 'read _ignored; exit 0'
`;

export interface SandboxNamespaceOptions {
  rootDir: string;
  /** Real directory holding the bridge socket, mounted at BRIDGE_DIR_IN_SANDBOX. */
  bridgeDir: string;
  /** The simulator's node binary when it is not under /usr (mounted at NODE_IN_SANDBOX_FALLBACK). */
  nodeBinary: string | undefined;
  /** The host name the namespace's uname and hostname report. */
  hostName?: string;
  /** Mount everything but /bin, /sbin and /usr noexec (ESXi 8's execInstalledOnly). */
  execInstalledOnly?: boolean;
  /** Use a user namespace (needed when not running as root). Default: when not root. */
  rootless?: boolean;
}

export interface SandboxSpawnOptions {
  env: Record<string, string>;
  /** Wrap in `script(1)` so the command gets a pseudo-terminal (interactive shells). */
  pty?: boolean;
}

export class SandboxNamespace {
  readonly #holder: ChildProcess;
  readonly #holderPid: number;
  readonly #rootless: boolean;

  private constructor(holder: ChildProcess, holderPid: number, rootless: boolean) {
    this.#holder = holder;
    this.#holderPid = holderPid;
    this.#rootless = rootless;
  }

  static async start(options: SandboxNamespaceOptions): Promise<SandboxNamespace> {
    const rootless = options.rootless ?? process.getuid?.() !== 0;
    const unshareArgs = rootless ? ["--user", "--map-root-user", "--mount", "--uts", "--propagation", "private", "--fork"] : ["--mount", "--uts", "--propagation", "private", "--fork"];
    const holder = spawn("unshare", [...unshareArgs, "/bin/sh", "-c", SETUP_SCRIPT, "sandbox-setup", options.rootDir, options.bridgeDir, options.nodeBinary ?? "", options.execInstalledOnly === true ? "1" : "0", options.hostName ?? ""], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      let err = "";
      holder.stdout.setEncoding("utf8");
      holder.stderr.setEncoding("utf8");
      holder.stderr.on("data", (chunk: string) => (err += chunk));
      holder.stdout.on("data", (chunk: string) => {
        out += chunk;
        const match = /ready (\d+)\n/u.exec(out);
        if (match) resolve(Number(match[1]));
      });
      holder.on("error", (error) => reject(new SandboxError(`cannot start unshare: ${error.message}`, { cause: error })));
      holder.on("exit", (code) => {
        const hint = rootless ? " (as an ordinary user this needs unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0)" : "";
        reject(new SandboxError(`cannot set up the host sandbox in ${options.rootDir}: exit ${String(code)}: ${err.trim()}${hint}`));
      });
    });
    holder.stdout.resume();
    holder.stderr.resume();
    return new SandboxNamespace(holder, pid, rootless);
  }

  /** Starts `argv` (paths inside the sandbox) in the namespace, in a new process group. */
  spawn(argv: string[], options: SandboxSpawnOptions): ChildProcess {
    const enter = ["nsenter", "-t", String(this.#holderPid), ...(this.#rootless ? ["-U", "--preserve-credentials"] : []), "-m", "-u", "-r", "-w", "--", ...argv];
    if (options.pty === true) {
      // script(1) runs its -c string with $SHELL; the host's /bin/sh runs nsenter, which enters the sandbox.
      const command = enter.map(shellQuote).join(" ");
      return spawn("script", ["-q", "-e", "-c", command, "/dev/null"], { detached: true, env: { ...options.env, SHELL: "/bin/sh" }, stdio: "pipe" });
    }
    return spawn(enter[0] as string, enter.slice(1), { detached: true, env: options.env, stdio: "pipe" });
  }

  /**
   * Starts `argv` in the namespace with the real root (not the sandbox's): for the simulator's own helpers,
   * such as mounting a busy file over a locked one. Paths are real paths.
   */
  spawnOutsideRoot(argv: string[]): ChildProcess {
    const enter = ["nsenter", "-t", String(this.#holderPid), ...(this.#rootless ? ["-U", "--preserve-credentials"] : []), "-m", "--", ...argv];
    return spawn(enter[0] as string, enter.slice(1), { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" }, stdio: "pipe" });
  }

  /** Runs `argv` like spawnOutsideRoot and waits; rejects with its stderr on a non-zero exit. */
  runOutsideRoot(argv: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = this.spawnOutsideRoot(argv);
      let err = "";
      child.stderr?.setEncoding("utf8");
      child.stderr?.on("data", (s: string) => (err += s));
      child.stdout?.resume();
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new SandboxError(`${argv.join(" ")}: exit ${String(code)}: ${err.trim()}`))));
    });
  }

  async stop(): Promise<void> {
    if (this.#holder.exitCode !== null || this.#holder.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#holder.once("exit", () => resolve()));
    this.#holder.stdin?.end();
    killQuietly(this.#holderPid, "SIGKILL");
    this.#holder.kill("SIGKILL");
    await exited;
  }
}

/** Kills a process started by `spawn` and everything in its process group. */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined) return;
  killQuietly(-child.pid, signal);
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/gu, `'\\''`)}'`;
}
