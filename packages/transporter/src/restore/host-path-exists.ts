/** Whether a path on the host exists. */
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";

/** Whether `path` (every one of `path`, given several) exists on the host. A read: run again after a lost connection. */
export async function hostPathExists(session: Pick<EsxiSshSession, "exec">, path: string | string[], signal: AbortSignal | undefined): Promise<boolean> {
  // `ls -d` rather than `test -e`: a dangling symbolic link exists too, and would still block mkdir.
  const result = await session.exec(sh`ls -d -- ${path}`, { check: false, retryOnConnectionLost: true, ...(signal === undefined ? {} : { signal }) });
  return result.exitCode === 0;
}
