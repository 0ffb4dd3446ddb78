/**
 * How a restore writes into the host's flat files, chosen from the capability probe before anything on the
 * host changes (host-flat-writer.ts has both ways): the host's Python 3, else busybox
 * `dd of=FLAT bs=… seek=… conv=notrunc`. The `dd` way needs `conv=notrunc`: without it busybox's `dd`
 * truncates the file at the offset it seeks to (its `ftruncate(seek × bs)`), which on a disk is losing
 * everything after it. Busybox compiles `conv=` only with FEATURE_DD_IBS_OBS, which trimmed builds drop; such a `dd`
 * refuses the whole command with its usage text (so it would write nothing), but a restore that cannot
 * write is refused here, naming why, rather than failing on its first chunk after the folder and disks
 * were made. Whether ESXi's busybox has it is unconfirmed (docs/esxi-evidence.md), hence the probe's test.
 */
import type { BackupHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";

export function chooseFlatWriteMethod(capabilities: Pick<BackupHostCapabilities, "python" | "tools">, requested?: FlatWriteMethod): FlatWriteMethod {
  const method: FlatWriteMethod = requested ?? (capabilities.python === undefined ? { kind: "dd" } : { kind: "python", interpreter: capabilities.python.command });
  if (method.kind === "python") return method;
  const { dd, ddNotrunc } = capabilities.tools;
  if (dd && ddNotrunc) return method;
  const why = dd ? "its busybox dd does not take conv=notrunc (built without FEATURE_DD_IBS_OBS), and a dd without it truncates the disk it writes into" : "its busybox has no dd";
  const python = capabilities.python === undefined ? "the host has no Python 3" : `the restore was asked to write with dd although the host has ${capabilities.python.command}`;
  return refuse(`${python}, and ${why}: nothing can write into a disk on this host; nothing was changed`);
}

function refuse(problem: string): never {
  throw new HostRestoreRefusedError("host", "host-cannot-write", problem);
}
