/**
 * @esxbackup/transporter — the data plane. A BullMQ worker that executes tasks (inventory, VM backup,
 * restore, verify, prune/gc): all ESXi I/O (SSH) and all repository I/O happens here. It reports to the
 * director over gRPC (esxbackup.transport.v1) and keeps no state of its own beyond the repositories it serves.
 */
export { GrpcTransporterReporter } from "./grpc/grpc-transporter-reporter.js";
export type { ProgressStream } from "./grpc/grpc-transporter-reporter.js";
export { startBullmqTaskWorker } from "./tasks/bullmq-task-worker.js";
export type { BullmqTaskWorkerOptions, RunningTaskWorker, TaskHandlers } from "./tasks/bullmq-task-worker.js";

// ESXi output parsers: pure functions from host output or host files to typed values; output they do not
// understand raises HostOutputError quoting the line.
export { HostOutputError } from "./esxi/parsers/host-output-error.js";
export { parseGetAllVms } from "./esxi/parsers/parse-get-all-vms.js";
export type { GetAllVmsOutput, GetAllVmsRow } from "./esxi/parsers/parse-get-all-vms.js";
export { parseSnapshotTree } from "./esxi/parsers/parse-snapshot-tree.js";
export type { SnapshotPowerState, SnapshotTree, SnapshotTreeNode, SnapshotTreeOperation } from "./esxi/parsers/parse-snapshot-tree.js";
export { parseVimObject } from "./esxi/parsers/parse-vim-object.js";
export { vimField, vimText } from "./esxi/parsers/vim-value.js";
export type { VimObject, VimValue } from "./esxi/parsers/vim-value.js";
export { parseFault } from "./esxi/parsers/parse-fault.js";
export type { VimFault } from "./esxi/parsers/parse-fault.js";
export { parseVmx } from "./esxi/parsers/parse-vmx.js";
export type { ParsedVmx, VmxDeviceSlot } from "./esxi/parsers/parse-vmx.js";
export { parseVmsd } from "./esxi/parsers/parse-vmsd.js";
export type { ParsedVmsd, VmsdDisk, VmsdSnapshot } from "./esxi/parsers/parse-vmsd.js";
export { parsePowerState } from "./esxi/parsers/parse-power-state.js";
export type { VmPowerState } from "./esxi/parsers/parse-power-state.js";
export { parseVmdkDescriptor } from "./esxi/parsers/parse-vmdk-descriptor.js";
export type { ExtentAccess, VmdkDescriptor, VmdkExtent } from "./esxi/parsers/parse-vmdk-descriptor.js";
// Inventory: what a host holds (VMs → disks → snapshots), derived from parser output by pure functions.
export type { DiskMode, DiskRefusal, HostInventory, InventoryDisk, InventoryVm } from "./esxi/inventory/host-inventory.js";
export { deriveVmDisks } from "./esxi/inventory/derive-vm-disks.js";
export type { DeriveVmDisksInput, DerivedVmDisks } from "./esxi/inventory/derive-vm-disks.js";
export { datastoreFilePath } from "./esxi/inventory/datastore-file-path.js";
