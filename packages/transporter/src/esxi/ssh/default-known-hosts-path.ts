/**
 * Where esxbackup keeps the host keys it pinned, unless told otherwise: $ESXBACKUP_KNOWN_HOSTS, else
 * $XDG_CONFIG_HOME/esxbackup/known_hosts, else ~/.config/esxbackup/known_hosts. Never ~/.ssh/known_hosts:
 * pinning for backups must not change what the user's own ssh trusts.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultKnownHostsPath(env: NodeJS.ProcessEnv): string {
  const explicit = env["ESXBACKUP_KNOWN_HOSTS"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const config = env["XDG_CONFIG_HOME"];
  return join(config !== undefined && config !== "" ? config : join(homedir(), ".config"), "esxbackup", "known_hosts");
}
