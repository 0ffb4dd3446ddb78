/**
 * What the transporter knows about a host after reading it: its VMs, each VM's disks and its existing
 * snapshots. Plain data, built from parser output (`parseGetAllVms`, `parseVmx`, `parseVmdkDescriptor`,
 * `parseSnapshotTree`) by pure functions; nothing here talks to a host. Paths are absolute host paths
 * (`/vmfs/volumes/<datastore>/…`).
 */
import type { VmPowerState } from "../parsers/parse-power-state.js";
import type { SnapshotTreeNode } from "../parsers/parse-snapshot-tree.js";
import type { VmxDeviceSlot } from "../parsers/parse-vmx.js";

export interface HostInventory {
  readonly vms: readonly InventoryVm[];
  /** Registered VMs the host could not load (`Skipping invalid VM`). */
  readonly skippedVmids: readonly string[];
  /** VMs that are registered but could not be read (those skipped by the host among them), each with why. */
  readonly unreadableVms: readonly UnreadableVm[];
}

export interface UnreadableVm {
  readonly vmid: string;
  /** As getallvms lists it; undefined for a VM the host skipped. */
  readonly name: string | undefined;
  /** `invalid`: the host itself could not load it; `unreadable`: its state or files could not be read. */
  readonly reason: "invalid" | "unreadable";
  /** The error, naming the VM and the command or file (a parser's error quotes the line). */
  readonly message: string;
  /** The error's stable code (`invalid_input` for output not understood, `vim_fault`, `ssh_command_failed`, …). */
  readonly code: string;
}

export interface InventoryVm {
  readonly vmid: string;
  readonly name: string;
  readonly powerState: VmPowerState;
  /** The API guest id as getallvms prints it (`ubuntu64Guest`). */
  readonly guestOs: string;
  /** Virtual hardware version as getallvms prints it, `vmx-NN`. */
  readonly hardwareVersion: string;
  readonly annotation: string;
  readonly vmxPath: string;
  /** Datastore of the `.vmx`; `""` for system VMs outside any datastore. */
  readonly datastore: string;
  readonly disks: readonly InventoryDisk[];
  /** Snapshots that exist now, as `snapshot.get` prints them. */
  readonly snapshots: readonly SnapshotTreeNode[];
}

export type DiskMode = "persistent" | "independent-persistent" | "independent-nonpersistent" | "nonpersistent" | "undoable" | "append";

export interface InventoryDisk {
  /** Controller slot, `scsi0:1`. */
  readonly slot: string;
  readonly bus: VmxDeviceSlot["bus"];
  /** The descriptor the VM writes through now: the newest delta when snapshots exist, else the base. */
  readonly descriptorPath: string;
  /** The base disk's descriptor (`parentCID=ffffffff`). */
  readonly baseDescriptorPath: string;
  /** The base disk's data extents (`-flat.vmdk` for VMFS disks). */
  readonly extentPaths: readonly string[];
  /** Snapshot deltas between the base and `descriptorPath`, oldest first; empty without snapshots. */
  readonly deltaDescriptorPaths: readonly string[];
  readonly capacityBytes: number;
  readonly provisioning: "thin" | "thick";
  /** Changed-block tracking on for the VM and this disk. */
  readonly cbtEnabled: boolean;
  readonly mode: DiskMode | string;
  /** Raw device mapping compatibility, undefined for a disk in files. */
  readonly rdm: "virtual" | "physical" | undefined;
  /** Why a backup would refuse this disk; undefined when it can be captured through a snapshot. */
  readonly refusal: DiskRefusal | undefined;
}

export type DiskRefusal =
  | { readonly reason: "independent"; readonly message: string }
  /** A mode whose writes go to a redo log (`nonpersistent`, `undoable`, `append`), or a mode not known. */
  | { readonly reason: "disk-mode"; readonly message: string }
  /** vSphere VM encryption: the extent holds ciphertext only the host's key opens. */
  | { readonly reason: "encrypted"; readonly message: string }
  | { readonly reason: "rdm"; readonly message: string }
  | { readonly reason: "broken-chain"; readonly message: string }
  | { readonly reason: "consolidation-needed"; readonly message: string }
  /** The base is not a file of the disk's bytes: a vSAN object, encrypted, a hosted sparse or split disk (`classifyBaseDisk`). */
  | { readonly reason: "unsupported-format"; readonly message: string };
