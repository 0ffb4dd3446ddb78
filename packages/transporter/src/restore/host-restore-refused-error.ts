/**
 * A restore to a host that will not be done, decided before anything is written: the name or datastore is
 * not acceptable, the folder or a VM of that name exists, the datastore lacks the space, the point lacks
 * what a VM needs, the host cannot run the VM's virtual hardware version, or has no way to write into a disk. Bad input (nothing changed, retrying cannot help); `field` names the option to change.
 */
import { InvalidInputError } from "@esxbackup/domain";

export type HostRestoreRefusal =
  | "bad-name"
  | "unknown-datastore"
  | "choose-datastore"
  | "folder-exists"
  | "folder-has-vm"
  | "folder-not-ours"
  | "leftover-of-other-point"
  | "leftover-was-registered"
  | "vm-exists"
  | "not-enough-space"
  | "no-vmx"
  | "disk-not-in-vmx"
  | "hardware-version-too-new"
  | "vm-not-found"
  | "vm-not-powered-off"
  | "vm-has-snapshots"
  | "disk-mismatch"
  | "host-cannot-write";

export class HostRestoreRefusedError extends InvalidInputError {
  readonly refusal: HostRestoreRefusal;

  constructor(field: string, refusal: HostRestoreRefusal, problem: string) {
    super(field, problem);
    this.refusal = refusal;
  }
}
