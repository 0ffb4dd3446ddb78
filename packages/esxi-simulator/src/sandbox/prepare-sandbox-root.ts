/**
 * Lays out a host's sandbox root like an ESXi host's file system: busybox and its applets in /bin, the
 * host tools in /bin and /sbin, /etc with passwd, group and `ssh/keys-<user>/authorized_keys`, /tmp, and
 * mount points for /usr, /dev nodes, /proc and the tool bridge.
 *
 * Idempotent; run at every start. It owns `bin/`, `sbin/` (rebuilt each time, so a changed
 * `disabledApplets` takes effect) and the files it writes under `etc/`. It never touches `vmfs/` or
 * `etc/vmware/` (the host model's).
 */
import { copyFile, lstat, mkdir, readlink, rm, stat, symlink, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import type { EsxiVersion, HostConfig } from "../config/simulator-config.js";
import { toolClientScript } from "../bridge/tool-client-script.js";
import { authorizedKeysPath } from "../ssh/authorized-keys.js";
import { HOST_PYTHON_VERSIONS, hostPythonLauncher } from "../python/host-python.js";
import { busyboxApplets } from "./busybox-applets.js";
import { ESXI_RELEASES } from "../tools/esxi-release.js";
import { PS_SCRIPT, hostApplets, unameScript } from "./esxi-applets.js";
import { trimmedAppletScript } from "./trimmed-applet.js";
import { BRIDGE_DIR_IN_SANDBOX, BRIDGE_SOCKET_NAME, DEVICE_NODES, NODE_IN_SANDBOX_FALLBACK, TOOL_PATHS } from "./sandbox-layout.js";

export interface SandboxRootOptions {
  rootDir: string;
  host: Pick<HostConfig, "name" | "ssh" | "shell"> & Partial<Pick<HostConfig, "esxiVersion">>;
  busyboxPath: string;
  /** The node binary as seen inside the sandbox (for the tool clients). */
  nodeInSandbox: string;
  /** The host's python3 (under /usr); absent python leaves no /bin/python. */
  python3Path: string | undefined;
}

/** The applets actually linked into /bin: the release's list (esxi-applets.ts) that busybox has, minus the disabled ones. */
export function enabledApplets(busyboxPath: string, shell: HostConfig["shell"], version: EsxiVersion = "7.0"): string[] {
  return hostApplets(busyboxApplets(busyboxPath), shell, version);
}

export async function prepareSandboxRoot(options: SandboxRootOptions): Promise<void> {
  const { rootDir, host } = options;
  await mkdir(rootDir, { recursive: true });
  for (const dir of ["bin", "sbin"]) await rm(join(rootDir, dir), { recursive: true, force: true });
  for (const dir of ["bin", "sbin", "etc/ssh", "dev/pts", "proc", "usr", "var/run", "var/log", "opt/esxbackup", "vmfs/volumes", BRIDGE_DIR_IN_SANDBOX.slice(1)]) {
    await mkdir(join(rootDir, dir), { recursive: true });
  }
  await mkdir(join(rootDir, "tmp"), { recursive: true });
  await chmod(join(rootDir, "tmp"), 0o1777);

  // /lib and /lib64 follow the real system: symlinks into /usr on merged-/usr systems, mount points otherwise.
  for (const dir of ["lib", "lib64"]) await mirrorTopLevel(rootDir, dir);
  for (const node of DEVICE_NODES) await touch(join(rootDir, "dev", node));
  await replaceSymlink("pts/ptmx", join(rootDir, "dev", "ptmx"));
  await touch(join(rootDir, NODE_IN_SANDBOX_FALLBACK.slice(1)));

  const busybox = join(rootDir, "bin", "busybox");
  await copyFile(options.busyboxPath, busybox);
  await chmod(busybox, 0o755);
  for (const applet of enabledApplets(options.busyboxPath, host.shell, host.esxiVersion)) {
    if (applet in TOOL_PATHS || applet === "ps" || applet === "uname") continue;
    const refused = host.shell.refusedOptions?.[applet];
    if (refused === undefined) await symlink("busybox", join(rootDir, "bin", applet));
    else await writeFile(join(rootDir, "bin", applet), trimmedAppletScript(applet, refused), { mode: 0o755 });
  }
  if (!host.shell.disabledApplets.includes("ps")) await writeFile(join(rootDir, "bin", "ps"), PS_SCRIPT, { mode: 0o755 });
  if (!host.shell.disabledApplets.includes("uname")) await writeFile(join(rootDir, "bin", "uname"), unameScript(ESXI_RELEASES[host.esxiVersion ?? "7.0"]), { mode: 0o755 });

  const disabled = new Set(host.shell.disabledApplets);
  if (host.shell.python && options.python3Path !== undefined) {
    // The release's old Python, emulated by a launcher in front of Debian's python3 (python/host-python.ts).
    const version = host.shell.pythonVersion ?? HOST_PYTHON_VERSIONS[host.esxiVersion ?? "7.0"];
    const launcher = join(rootDir, "bin", "python3");
    if (!disabled.has("python3")) await writeFile(launcher, hostPythonLauncher(options.python3Path, version), { mode: 0o755 });
    if (!disabled.has("python")) {
      if (disabled.has("python3")) await writeFile(join(rootDir, "bin", "python"), hostPythonLauncher(options.python3Path, version), { mode: 0o755 });
      else await replaceSymlink("python3", join(rootDir, "bin", "python"));
    }
  }

  const socket = `${BRIDGE_DIR_IN_SANDBOX}/${BRIDGE_SOCKET_NAME}`;
  for (const [tool, path] of Object.entries(TOOL_PATHS)) {
    await writeFile(join(rootDir, path), toolClientScript({ tool, nodePath: options.nodeInSandbox, socketPath: socket }), { mode: 0o755 });
  }

  await writeEtc(rootDir, host);
}

async function writeEtc(rootDir: string, host: SandboxRootOptions["host"]): Promise<void> {
  const etc = join(rootDir, "etc");
  // ESXi's prompt: [root@esx01:~] (HOME is /, shown as ~), the host name up to its first dot.
  await writeFile(join(etc, "profile"), `PS1='[\\u@${host.name.split(".")[0] ?? host.name}:\\w] '\nexport PS1\n`);
  // Every user runs as root inside the sandbox (uid 0 there); non-root users exist for login only.
  const users = host.ssh.users.filter((u) => u.name !== "root");
  const passwd = ["root:x:0:0:Administrator:/:/bin/sh", ...users.map((u, i) => `${u.name}:x:${1000 + i}:${1000 + i}::/:/bin/sh`)];
  await writeFile(join(etc, "passwd"), `${passwd.join("\n")}\n`);
  await writeFile(join(etc, "group"), "root:x:0:\n");
  await writeFile(join(etc, "hosts"), `127.0.0.1\tlocalhost.localdomain localhost\n::1\tlocalhost.localdomain localhost\n127.0.0.1\t${host.name}\n`);
  await writeFile(join(etc, "issue"), "");
  await writeFile(join(etc, "shells"), "/bin/sh\n/bin/ash\n");
  for (const user of host.ssh.users) {
    const file = authorizedKeysPath(rootDir, user.name);
    await mkdir(join(file, ".."), { recursive: true, mode: 0o700 });
    await writeFile(file, user.authorizedKeys.map((k) => `${k.trim()}\n`).join(""), { mode: 0o600 });
  }
}

async function mirrorTopLevel(rootDir: string, dir: string): Promise<void> {
  const target = join(rootDir, dir);
  let real: string | undefined;
  try {
    const info = await lstat(`/${dir}`);
    real = info.isSymbolicLink() ? await readlink(`/${dir}`) : undefined;
    if (!info.isSymbolicLink() && !info.isDirectory()) return;
  } catch {
    return; // no /lib64 on this system
  }
  if (real !== undefined) await replaceSymlink(real, target);
  else {
    await rm(target, { force: true }).catch(() => undefined);
    await mkdir(target, { recursive: true });
  }
}

async function replaceSymlink(target: string, path: string): Promise<void> {
  await rm(path, { force: true });
  await symlink(target, path);
}

async function touch(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    await writeFile(path, "");
  }
}
