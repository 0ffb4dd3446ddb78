/**
 * The host's VMs as `vim-cmd vmsvc/getallvms` lists them, with the vmids of the VMs it could not load
 * (`Skipping invalid VM 'N'`, printed on stdout or stderr by release).
 */
import { parseGetAllVms, parseGetAllVmsStderr, type GetAllVmsOutput } from "../parsers/parse-get-all-vms.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { runVimCmd } from "../vim-cmd/run-vim-cmd.js";

export async function listHostVms(session: Pick<EsxiSshSession, "exec" | "label">, options: { signal?: AbortSignal } = {}): Promise<GetAllVmsOutput> {
  const listing = await runVimCmd(session, sh`vim-cmd vmsvc/getallvms`, "vim-cmd vmsvc/getallvms", options);
  const table = parseGetAllVms(listing.stdout);
  return { vms: table.vms, skippedVmids: [...table.skippedVmids, ...parseGetAllVmsStderr(listing.stderr)] };
}
