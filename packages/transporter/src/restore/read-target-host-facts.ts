/**
 * Asks the target host what `host-dependencies.ts` judges: its standard port groups (only when an adapter
 * names one) and which images the `.vmx` connects exist there. Reads only. Port groups that cannot be
 * listed (esxcli failed, or printed what the parser refuses) are reported as unknown, with why: the
 * restore warns and goes on, it does not stop for a check it only advises on.
 */
import { EsxbackupError } from "@esxbackup/domain";
import { parsePortGroupList } from "../esxi/probe/parse-port-group-list.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";
import type { HostDependency, TargetHostFacts } from "./host-dependencies.js";
import { hostPathExists } from "./host-path-exists.js";

export async function readTargetHostFacts(session: Pick<EsxiSshSession, "exec">, dependencies: readonly HostDependency[], signal: AbortSignal): Promise<TargetHostFacts> {
  const portGroups = dependencies.some((dependency) => dependency.kind === "port-group") ? await listPortGroups(session, signal) : [];
  const missingImages = new Set<string>();
  for (const dependency of dependencies) {
    if (dependency.kind !== "image" || dependency.hostPath === undefined || !dependency.connectedAtPowerOn || missingImages.has(dependency.hostPath)) continue;
    if (!(await hostPathExists(session, dependency.hostPath, signal))) missingImages.add(dependency.hostPath);
  }
  return { portGroups, missingImages };
}

async function listPortGroups(session: Pick<EsxiSshSession, "exec">, signal: AbortSignal): Promise<readonly string[] | { unknown: string }> {
  const result = await session.exec(sh`esxcli network vswitch standard portgroup list`, { check: false, retryOnConnectionLost: true, signal });
  const stdout = result.stdout.toString("utf8");
  if (result.exitCode !== 0) {
    const said = `${result.stderr.toString("utf8")}\n${stdout}`.trim().split("\n")[0] ?? "";
    return { unknown: `esxcli network vswitch standard portgroup list exited with ${result.exitCode}${said === "" ? "" : `: ${said}`}` };
  }
  try {
    return parsePortGroupList(stdout).map((portGroup) => portGroup.name);
  } catch (error) {
    if (error instanceof EsxbackupError) return { unknown: error.message };
    throw error;
  }
}
