/**
 * The host's release from `vmware -v` and `vmware -l`, run apart, or why it could not be read. A host is
 * not refused for it: a backup needs nothing of the release, and a restore's hardware-version check lets
 * an unknown release decide for itself (docs/adr/0041). What matters is never to misread one:
 * - `vmware -v` (every release: `VMware ESXi 7.0.3 build-20328353`) must read as `parseVmwareVersion` reads
 *   it, or the release is unidentified, with what the host printed quoted;
 * - `vmware -l` only adds the update level. ESX 9.0 deprecates it for `vmware -r` (williamlam.com,
 *   2025-07-23; what it prints then is not public): a failure, or anything but a level line agreeing with
 *   `-v`, leaves the update unknown rather than failing the probe.
 * Pure: both commands' outputs in, the release (or the reason it is unknown) out.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { quoteForMessage } from "../ssh/esxi-ssh-errors.js";
import { parseVmwareVersion } from "./parse-vmware-version.js";
import type { EsxiVersionInfo } from "./parse-vmware-version.js";

export interface VersionCommandOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** A host whose release could not be read; `unidentified` says why, for the log. */
export interface UnidentifiedEsxi {
  unidentified: string;
}

export function identifyEsxiRelease(versionOutput: VersionCommandOutput, levelOutput: VersionCommandOutput): EsxiVersionInfo | UnidentifiedEsxi {
  const printed = quoteForMessage(`${versionOutput.stdout} ${versionOutput.stderr}`);
  if (versionOutput.exitCode !== 0) return { unidentified: `\`vmware -v\` failed (exit code ${String(versionOutput.exitCode)})${printed === "" ? "" : `: ${printed}`}` };
  let version: EsxiVersionInfo;
  try {
    version = parseVmwareVersion(versionOutput.stdout);
  } catch (error) {
    if (error instanceof HostOutputError) return { unidentified: error.message };
    throw error;
  }
  // A `-v` that printed no build line printed something else than the version it is asked for.
  if (version.build === undefined) return { unidentified: `\`vmware -v\` printed no build: ${printed}` };
  if (levelOutput.exitCode !== 0) return version;
  try {
    return parseVmwareVersion(`${versionOutput.stdout}\n${levelOutput.stdout}`);
  } catch (error) {
    if (error instanceof HostOutputError) return version;
    throw error;
  }
}
