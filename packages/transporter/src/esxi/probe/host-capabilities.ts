/**
 * What a host offers the backup pipeline, found once per connection: the ESXi release (which algorithms,
 * which output formats), a Python 3 for hashing blocks on the host, the hash applets as the fallback, and
 * the free space of each datastore (a restore needs room). Read-only: the probe changes nothing
 * on the host.
 */
import { sh } from "../ssh/shell-command.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { isDatastore, parseFilesystemList } from "./parse-filesystem-list.js";
import type { MountedFilesystem } from "./parse-filesystem-list.js";
import { SHELL_CAPABILITIES_SCRIPT, parseShellCapabilities } from "./parse-shell-capabilities.js";
import type { HashApplet, PythonInterpreter, ShellTools } from "./parse-shell-capabilities.js";
import { identifyEsxiRelease } from "./identify-esxi-release.js";
import type { UnidentifiedEsxi, VersionCommandOutput } from "./identify-esxi-release.js";
import type { EsxiVersionInfo } from "./parse-vmware-version.js";

export interface HostCapabilities {
  /** The release, or why it could not be read (nothing is refused for that: identify-esxi-release.ts). */
  esxi: EsxiVersionInfo | UnidentifiedEsxi;
  /** The Python 3 to hash with (python3 preferred over python), if any. */
  python: PythonInterpreter | undefined;
  /** Every interpreter found, usable or not (for the report). */
  pythons: PythonInterpreter[];
  hashApplets: Record<HashApplet, boolean>;
  /** `dd` (and whether it takes `conv=notrunc`) and `wc`: what the no-Python paths run besides the digests. */
  tools: ShellTools;
  /** VMFS and NFS datastores, mounted. */
  datastores: MountedFilesystem[];
}

/** What a backup needs of the host: the release, and how blocks can be hashed and read there. */
export type BackupHostCapabilities = Pick<HostCapabilities, "esxi" | "python" | "pythons" | "hashApplets" | "tools">;

/**
 * The probe without the datastores, so a backup waits for one command fewer (`esxcli`) before its first VM:
 * it reads them per running VM instead (`readDatastores`, beside the VM's config files), for the room the
 * VM's snapshot needs (docs/adr/0039).
 */
export async function probeBackupCapabilities(session: Pick<EsxiSshSession, "exec">): Promise<BackupHostCapabilities> {
  const unchecked = { ...PROBE_READ, check: false };
  const [version, level, shell] = await Promise.all([
    session.exec(sh`vmware -v`, unchecked),
    session.exec(sh`vmware -l`, unchecked),
    session.exec(SHELL_CAPABILITIES_SCRIPT, PROBE_READ),
  ]);
  const { pythons, hashApplets, tools } = parseShellCapabilities(shell.stdout.toString("utf8"));
  const text = (result: typeof version): VersionCommandOutput => ({ exitCode: result.exitCode, stdout: result.stdout.toString("utf8"), stderr: result.stderr.toString("utf8") });
  return {
    esxi: identifyEsxiRelease(text(version), text(level)),
    python: pythons.find((p) => p.version !== undefined && p.version.major === 3),
    pythons,
    hashApplets,
    tools,
  };
}

export async function probeHostCapabilities(session: Pick<EsxiSshSession, "exec">): Promise<HostCapabilities> {
  const [backup, datastores] = await Promise.all([probeBackupCapabilities(session), readDatastores(session)]);
  return { ...backup, datastores };
}

/** The host's mounted VMFS and NFS datastores with their size and free space, as they are now. */
export async function readDatastores(session: Pick<EsxiSshSession, "exec">, options: { signal?: AbortSignal } = {}): Promise<MountedFilesystem[]> {
  const filesystems = await session.exec(sh`esxcli storage filesystem list`, { ...PROBE_READ, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  return parseFilesystemList(filesystems.stdout.toString("utf8")).filter(isDatastore);
}

const PROBE_READ = { retryOnConnectionLost: true, timeoutMs: 60_000 } as const;
