/**
 * Why a VM's backup did not start, as errors a caller words for its user: no VM (or more than one) of the
 * name on the host, and a VM that cannot be captured consistently, with every reason (planVmBackup).
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

export class VmBackupRefusedError extends EsxbackupError {
  readonly vmName: string;
  readonly reasons: readonly string[];
  constructor(vmName: string, reasons: readonly string[]) {
    super("vm_backup_refused", `VM ${JSON.stringify(vmName)} cannot be backed up consistently: ${reasons.join("; ")}`);
    this.vmName = vmName;
    this.reasons = reasons;
  }
}

/**
 * A running VM not backed up because a datastore it lives on is too full for its run snapshot to grow
 * (datastore-room.ts): refused before any snapshot is taken, so nothing on the host changed.
 */
export class DatastoreSpaceRefusedError extends EsxbackupError {
  readonly vmName: string;
  readonly reasons: readonly string[];
  constructor(vmName: string, reasons: readonly string[]) {
    super(
      "datastore_space_low",
      `VM ${JSON.stringify(vmName)} is running and its snapshot would grow with every write it makes during the backup: ${reasons.join("; ")}. Free space there, or back it up while it is off, or lower --min-datastore-free`,
    );
    this.vmName = vmName;
    this.reasons = reasons;
  }
}

/**
 * A running VM's backup stopped part-way because a datastore it is on fell under the free space kept while
 * its snapshot is open (datastore-room-watch.ts): the snapshot is removed and no point written.
 */
export class DatastoreFillingError extends EsxbackupError {
  readonly vmName: string;
  readonly reasons: readonly string[];
  constructor(vmName: string, reasons: readonly string[]) {
    super(
      "datastore_filling",
      `the backup of VM ${JSON.stringify(vmName)} was stopped and its snapshot removed, before the datastore filled up: ${reasons.join("; ")}. Free space there and back it up again`,
    );
    this.vmName = vmName;
    this.reasons = reasons;
  }
}
