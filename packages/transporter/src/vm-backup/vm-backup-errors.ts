/**
 * Why a VM's backup did not start or did not finish, as errors a caller words for its user: no VM (or more
 * than one) of the name on the host, a VM that cannot be captured consistently, and a running VM whose
 * datastores have too little room for its snapshot, at the start or while it is open.
 */
import { EsxbackupError } from "@esxbackup/domain";

export class VmNotFoundError extends EsxbackupError {
  readonly vmName: string;
  constructor(host: string, vmName: string, matches: readonly string[]) {
    super(
      matches.length === 0 ? "vm_not_found" : "vm_name_ambiguous",
      matches.length === 0
        ? `${host}: no VM named ${JSON.stringify(vmName)} (esxbackup inventory lists them)`
        : `${host}: ${matches.length} VMs are named ${JSON.stringify(vmName)} (vmids ${matches.join(", ")}); rename one so the name says which`,
    );
    this.vmName = vmName;
  }
}

/** A VM's backup refused or stopped for reasons a caller may show one by one (`reasons`), with its name. */
export abstract class VmBackupReasonsError extends EsxbackupError {
  readonly vmName: string;
  readonly reasons: readonly string[];
  protected constructor(code: string, message: string, vmName: string, reasons: readonly string[]) {
    super(code, message);
    this.vmName = vmName;
    this.reasons = reasons;
  }
}

/** A VM that cannot be captured consistently, with every reason (planVmBackup). */
export class VmBackupRefusedError extends VmBackupReasonsError {
  constructor(vmName: string, reasons: readonly string[]) {
    super("vm_backup_refused", `VM ${JSON.stringify(vmName)} cannot be backed up consistently: ${reasons.join("; ")}`, vmName, reasons);
  }
}

/**
 * A running VM not backed up because a datastore it lives on is too full for its run snapshot to grow
 * (datastore-room.ts): refused before any snapshot is taken, so nothing on the host changed.
 */
export class DatastoreSpaceRefusedError extends VmBackupReasonsError {
  constructor(vmName: string, reasons: readonly string[]) {
    const message = `VM ${JSON.stringify(vmName)} is running and its snapshot would grow with every write it makes during the backup: ${reasons.join("; ")}. Free space there, or back it up while it is off, or lower --min-datastore-free`;
    super("datastore_space_low", message, vmName, reasons);
  }
}

/**
 * A running VM's backup stopped part-way because a datastore it is on fell under the free space kept while
 * its snapshot is open (datastore-room-watch.ts): the snapshot is removed and no point written.
 */
export class DatastoreFillingError extends VmBackupReasonsError {
  constructor(vmName: string, reasons: readonly string[]) {
    const message = `the backup of VM ${JSON.stringify(vmName)} was stopped and its snapshot removed, before the datastore filled up: ${reasons.join("; ")}. Free space there and back it up again`;
    super("datastore_filling", message, vmName, reasons);
  }
}
