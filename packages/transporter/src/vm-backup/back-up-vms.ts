/**
 * Backs up several VMs of one host, `vmConcurrency` at a time, each over its own SSH connection (its own
 * channels, so one VM's readers never wait for another's), and reports each VM's outcome: one VM failing
 * or refused does not stop the others. An abort stops them all; each removes its snapshot on the way out.
 */
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { backUpVm } from "./back-up-vm.js";
import type { BackUpVmRequest, VmBackupResult } from "./back-up-vm.js";

/** Two VMs at once: two snapshots on the host at a time, and enough streams to fill the link (docs/adr/0024). */
export const DEFAULT_VM_BACKUP_CONCURRENCY = 2;

export type VmBackupOutcome = { vm: string; result: VmBackupResult } | { vm: string; error: unknown };

export interface BackUpVmsRequest extends Omit<BackUpVmRequest, "session" | "vmName" | "runId"> {
  vmNames: readonly string[];
  /** Opens a session for one VM; closed by backUpVms. */
  connect: () => Promise<Pick<EsxiSshSession, "exec" | "execStream" | "label" | "close">>;
  /** A token for this run; each VM's snapshot is `esxbackup-run-<runId>-<n>`. */
  runId: string;
  vmConcurrency?: number;
}

export async function backUpVms(request: BackUpVmsRequest): Promise<VmBackupOutcome[]> {
  const { vmNames, connect, vmConcurrency = DEFAULT_VM_BACKUP_CONCURRENCY, ...common } = request;
  const outcomes: VmBackupOutcome[] = new Array(vmNames.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < vmNames.length) {
      const index = next++;
      const vmName = vmNames[index] as string;
      if (request.signal.aborted) {
        outcomes[index] = { vm: vmName, error: request.signal.reason };
        continue;
      }
      try {
        const session = await connect();
        try {
          outcomes[index] = { vm: vmName, result: await backUpVm({ ...common, session, vmName, runId: `${request.runId}-${index + 1}` }) };
        } finally {
          await session.close();
        }
      } catch (error) {
        outcomes[index] = { vm: vmName, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(vmConcurrency, vmNames.length)) }, lane));
  return outcomes;
}
