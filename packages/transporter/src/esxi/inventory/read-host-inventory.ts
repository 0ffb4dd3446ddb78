/**
 * Reads a host's inventory over SSH: `vim-cmd vmsvc/getallvms`, then each VM (`readVmInventory`), at most
 * `vmConcurrency` VMs at once so that a host with hundreds of VMs gets a steady trickle of commands, not
 * hundreds of hostd calls at once. Read-only: nothing on the host changes.
 *
 * Failures: a listing we do not understand, or a lost connection, a timeout, a cancellation, fail the
 * whole read (the rest is stopped). A VM whose state or files cannot be read — a fault (unregistered
 * meanwhile), a file that is missing or not what it should be, output a parser does not understand — is
 * reported in `unreadableVms` with the error naming it, and the other VMs are read; so is a VM the host
 * itself skips (`Skipping invalid VM`).
 */
import type { EsxbackupError } from "@esxbackup/domain";
import { HostOutputError } from "../parsers/host-output-error.js";
import type { GetAllVmsRow } from "../parsers/parse-get-all-vms.js";
import { ChannelSlots } from "../ssh/channel-slots.js";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { VimFaultError } from "../vim-cmd/vim-fault-error.js";
import type { HostInventory, InventoryVm, UnreadableVm } from "./host-inventory.js";
import { HostFileTooLargeError } from "./read-host-text-file.js";
import { listHostVms } from "./list-host-vms.js";
import { readVmInventory, vmLabel } from "./read-vm-inventory.js";

/** Each VM costs 3 commands at once, then a round per chain level; 4 VMs keep the session's 8 channels busy. */
export const DEFAULT_VM_CONCURRENCY = 4;

export interface ReadHostInventoryOptions {
  vmConcurrency?: number;
  signal?: AbortSignal;
}

type VmOutcome = { vm: InventoryVm } | { unreadable: UnreadableVm };

export async function readHostInventory(session: Pick<EsxiSshSession, "exec" | "execStream" | "label">, options: ReadHostInventoryOptions = {}): Promise<HostInventory> {
  const table = await listHostVms(session, options.signal === undefined ? {} : { signal: options.signal });
  const skippedVmids = table.skippedVmids;

  // Stops the other VMs' commands once one failure has failed the whole read.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const slots = new ChannelSlots(options.vmConcurrency ?? DEFAULT_VM_CONCURRENCY);
  const readOne = async (row: GetAllVmsRow): Promise<VmOutcome> => {
    const release = await slots.acquire();
    try {
      stop.signal.throwIfAborted();
      return { vm: await readVmInventory(session, row, { signal: stop.signal }) };
    } catch (error) {
      if (!stop.signal.aborted && isVmReadProblem(error)) return { unreadable: unreadable(row, error) };
      stop.abort(error);
      throw error;
    } finally {
      release();
    }
  };
  try {
    const outcomes = await Promise.all(table.vms.map(readOne));
    return {
      vms: outcomes.flatMap((o) => ("vm" in o ? [o.vm] : [])),
      skippedVmids,
      unreadableVms: [
        ...outcomes.flatMap((o) => ("unreadable" in o ? [o.unreadable] : [])),
        ...skippedVmids.map((vmid) => ({
          vmid,
          name: undefined,
          reason: "invalid" as const,
          message: `VM ${vmid}: the host could not load it (getallvms printed 'Skipping invalid VM'); its .vmx may be gone or its datastore unmounted`,
          code: "vm_invalid",
        })),
      ],
    };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Errors about one VM's state or files, as opposed to the connection or the caller. */
function isVmReadProblem(error: unknown): error is EsxbackupError {
  return error instanceof HostOutputError || error instanceof VimFaultError || error instanceof SshCommandFailedError || error instanceof HostFileTooLargeError;
}

function unreadable(row: GetAllVmsRow, error: EsxbackupError): UnreadableVm {
  const about = vmLabel(row);
  // Parser errors and faults already name the VM through their source; a failed command names only itself.
  const message = error.message.includes(about) ? error.message : `${about}: ${error.message}`;
  return { vmid: row.vmid, name: row.name, reason: "unreadable", message, code: error.code };
}
