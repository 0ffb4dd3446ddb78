/**
 * Makes the files a running VM holds look as they do on a real host inside the sandbox: regular files of
 * their full size whose open fails with EBUSY (`Device or resource busy`, esxi-facts 2.1). A small FUSE file
 * system (busy-fs-source.ts, Debian's python3-llfuse) mirrors the model's lock directory inside the host's
 * mount namespace, and each locked file's datastore path gets a bind mount of its mirror, made when the
 * model locks it and removed before it is released. Without python3-llfuse or /dev/fuse the model's own
 * placeholder stays visible: a socket of size 0 that fails with ENXIO (see host/file-lock.ts).
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { spawnSync, type ChildProcess } from "node:child_process";
import type { LockListener } from "../host/file-lock.js";
import { BUSY_FS_SOURCE } from "./busy-fs-source.js";
import { SandboxError } from "./sandbox-error.js";
import type { SandboxNamespace } from "./sandbox-namespace.js";

export class BusyFiles implements LockListener {
  private constructor(
    private readonly namespace: SandboxNamespace,
    private readonly daemon: ChildProcess,
    private readonly rootDir: string,
    private readonly mountDir: string,
  ) {}

  /** Whether this machine can run the busy-file system (python3-llfuse and /dev/fuse). */
  static available(python3Path: string | undefined): boolean {
    return python3Path !== undefined && existsSync("/dev/fuse") && spawnSync(python3Path, ["-I", "-c", "import llfuse"], { stdio: "ignore" }).status === 0;
  }

  static async start(options: { namespace: SandboxNamespace; python3Path: string; rootDir: string; lockDir: string; mountDir: string }): Promise<BusyFiles> {
    await mkdir(options.mountDir, { recursive: true });
    await mkdir(options.lockDir, { recursive: true });
    const daemon = options.namespace.spawnOutsideRoot([options.python3Path, "-I", "-c", BUSY_FS_SOURCE, options.lockDir, options.mountDir]);
    await new Promise<void>((resolve, reject) => {
      let out = "";
      let err = "";
      daemon.stdout?.setEncoding("utf8");
      daemon.stderr?.setEncoding("utf8");
      daemon.stderr?.on("data", (s: string) => (err += s));
      daemon.stdout?.on("data", (s: string) => {
        out += s;
        if (out.includes("ready\n")) resolve();
      });
      daemon.on("error", reject);
      daemon.on("exit", (code) => reject(new SandboxError(`the busy-file system did not start: exit ${String(code)}: ${err.trim()}`)));
    });
    daemon.stdout?.resume();
    daemon.stderr?.resume();
    return new BusyFiles(options.namespace, daemon, options.rootDir, options.mountDir);
  }

  async locked(realPath: string): Promise<void> {
    await this.namespace.runOutsideRoot(["mount", "--bind", join(this.mountDir, relative(this.rootDir, realPath)), realPath]);
  }

  async releasing(realPath: string): Promise<void> {
    await this.namespace.runOutsideRoot(["umount", "-l", realPath]).catch(() => undefined);
  }

  /** Unmounts and stops the daemon (the namespace going away would unmount it too). */
  async stop(): Promise<void> {
    if (this.daemon.exitCode !== null || this.daemon.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.daemon.once("exit", () => resolve()));
    await this.namespace.runOutsideRoot(["umount", "-l", this.mountDir]).catch(() => undefined);
    this.daemon.kill("SIGKILL");
    await exited;
  }
}
