/**
 * What a host offers the backup pipeline, found once per connection: the ESXi release (which algorithms,
 * which output formats), a Python 3 for hashing blocks on the host, the hash applets as the fallback, and
 * the free space of each datastore (snapshots and restores need room). Read-only: the probe changes nothing
 * on the host.
 */
import { sh } from "../ssh/shell-command.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { isDatastore, parseFilesystemList } from "./parse-filesystem-list.js";
import type { MountedFilesystem } from "./parse-filesystem-list.js";
import { SHELL_CAPABILITIES_SCRIPT, parseShellCapabilities } from "./parse-shell-capabilities.js";
import type { HashApplet, PythonInterpreter } from "./parse-shell-capabilities.js";
import { parseVmwareVersion } from "./parse-vmware-version.js";
import type { EsxiVersionInfo } from "./parse-vmware-version.js";

export interface HostCapabilities {
  esxi: EsxiVersionInfo;
  /** The Python 3 to hash with (python3 preferred over python), if any. */
  python: PythonInterpreter | undefined;
  /** Every interpreter found, usable or not (for the report). */
  pythons: PythonInterpreter[];
  hashApplets: Record<HashApplet, boolean>;
  /** VMFS and NFS datastores, mounted. */
  datastores: MountedFilesystem[];
}

export async function probeHostCapabilities(session: Pick<EsxiSshSession, "exec">): Promise<HostCapabilities> {
  const read = { retryOnConnectionLost: true, timeoutMs: 60_000 } as const;
  const [version, shell, filesystems] = await Promise.all([
    session.exec(sh`vmware -v && vmware -l`, read),
    session.exec(SHELL_CAPABILITIES_SCRIPT, read),
    session.exec(sh`esxcli storage filesystem list`, read),
  ]);
  const { pythons, hashApplets } = parseShellCapabilities(shell.stdout.toString("utf8"));
  return {
    esxi: parseVmwareVersion(version.stdout.toString("utf8")),
    python: pythons.find((p) => p.version !== undefined && p.version.major === 3),
    pythons,
    hashApplets,
    datastores: parseFilesystemList(filesystems.stdout.toString("utf8")).filter(isDatastore),
  };
}

