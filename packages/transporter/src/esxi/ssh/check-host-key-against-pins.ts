/**
 * The session's host-key check: the pure decision (decide-host-key.ts) applied — pin on first use (written
 * before the login goes on, so a key we trusted is on disk before any credential is sent), or the typed
 * refusal with both fingerprints. And the host-key algorithms to offer once keys are pinned.
 */
import type { HostKeyPolicy } from "./decide-host-key.js";
import { decideHostKey } from "./decide-host-key.js";
import type { EsxiSshAlgorithms } from "./esxi-ssh-algorithms.js";
import { HostKeyChangedError, HostKeyNotTrustedError, KnownHostsWriteError } from "./esxi-ssh-errors.js";
import type { EsxiSshError } from "./esxi-ssh-errors.js";
import type { EsxiSshTarget } from "./esxi-ssh-target.js";
import { hostArgument, targetLabel } from "./esxi-ssh-target.js";
import type { HostKey } from "./host-key.js";
import { hostKeyAlgorithmsFor } from "./host-key.js";
import type { KnownHostsFile } from "./known-hosts-file.js";

export interface HostKeyCheck {
  target: EsxiSshTarget;
  knownHosts: KnownHostsFile;
  /** What was pinned when the connection started. */
  pinned: HostKey[];
  presented: HostKey;
  policy: HostKeyPolicy;
  onPinned: (key: HostKey) => void;
}

/** Undefined to go on with the login, else the error to refuse the connection with. */
export async function checkHostKeyAgainstPins(check: HostKeyCheck): Promise<EsxiSshError | undefined> {
  const { target, knownHosts, presented } = check;
  const host = targetLabel(target);
  const decision = decideHostKey(check.pinned, presented, check.policy);
  switch (decision.action) {
    case "accept":
      return undefined;
    case "pin":
      try {
        await knownHosts.pin(target.host, target.port ?? 22, presented);
      } catch (error) {
        return new KnownHostsWriteError(host, knownHosts.path, { cause: error });
      }
      check.onPinned(presented);
      return undefined;
    case "refuse-unknown":
      return new HostKeyNotTrustedError({ host, hostArgument: hostArgument(target), presented, knownHostsPath: knownHosts.path });
    case "refuse-changed":
      return new HostKeyChangedError({ host, hostArgument: hostArgument(target), pinned: decision.pinned, presented, knownHostsPath: knownHosts.path });
  }
}

/** With keys pinned, offer only their types, so an honest host presents the pinned key (as OpenSSH does). */
export function offeredAlgorithms(algorithms: EsxiSshAlgorithms, pinned: HostKey[]): EsxiSshAlgorithms {
  if (pinned.length === 0) return algorithms;
  const allowed = new Set(pinned.flatMap((key) => hostKeyAlgorithmsFor(key.type)));
  const serverHostKey = algorithms.serverHostKey.filter((name) => allowed.has(name));
  return serverHostKey.length === 0 ? algorithms : { ...algorithms, serverHostKey };
}
