/**
 * @esxbackup/transporter — the data plane: all ESXi I/O (SSH) and all repository I/O happens here, for the
 * command line and for tasks (inventory, VM backup, restore, verify, prune/gc). It keeps no state of its own
 * beyond the repositories it serves. The agent half — the BullMQ worker that takes tasks from the director
 * and the gRPC client that reports their progress — is `@esxbackup/transporter/agent`.
 */

// ESXi output parsers: pure functions from host output or host files to typed values; output they do not
// understand raises HostOutputError quoting the line.
export { HostOutputError } from "./esxi/parsers/host-output-error.js";
export { parseGetAllVms } from "./esxi/parsers/parse-get-all-vms.js";
export { listHostVms } from "./esxi/inventory/list-host-vms.js";
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

// ESXi access over SSH: sessions, host-key pinning, quoting, capability probe.
export { EsxiSshSession } from "./esxi/ssh/esxi-ssh-session.js";
export { RefusedLogins } from "./esxi/ssh/refused-logins.js";
export type { EsxiSshSessionEvent, EsxiSshSessionOptions, ExecOptions, ExecResult, NegotiatedSummary, StreamOptions, StreamingExec } from "./esxi/ssh/esxi-ssh-session.js";
export type { ChannelOutcome } from "./esxi/ssh/command-channel.js";
export type { EsxiSshTarget } from "./esxi/ssh/esxi-ssh-target.js";
export { hostArgument, targetLabel } from "./esxi/ssh/esxi-ssh-target.js";
export { esxiSshAlgorithms } from "./esxi/ssh/esxi-ssh-algorithms.js";
export type { EsxiSshAlgorithms } from "./esxi/ssh/esxi-ssh-algorithms.js";
export {
  EsxiSshError,
  HostKeyChangedError,
  HostKeyNotTrustedError,
  KnownHostsWriteError,
  SshAuthError,
  SshCommandCancelledError,
  SshCommandFailedError,
  SshCommandTimeoutError,
  SshConnectError,
  SshConnectionLostError,
} from "./esxi/ssh/esxi-ssh-errors.js";
export { KnownHostsFile, knownHostsPattern } from "./esxi/ssh/known-hosts-file.js";
export type { PinnedHostKey } from "./esxi/ssh/known-hosts-file.js";
export type { HostKey } from "./esxi/ssh/host-key.js";
export type { HostKeyPolicy } from "./esxi/ssh/decide-host-key.js";
export { HostKeyFingerprintMismatchError, trustHostKey } from "./esxi/ssh/trust-host-key.js";
export type { TrustHostKeyOptions, TrustHostKeyResult } from "./esxi/ssh/trust-host-key.js";
export { quoteShellArg } from "./esxi/ssh/quote-shell-arg.js";
export { ShellCommand, sh, shellCommand } from "./esxi/ssh/shell-command.js";
export type { ShellArgument } from "./esxi/ssh/shell-command.js";
export { probeBackupCapabilities, probeHostCapabilities, readDatastores } from "./esxi/probe/host-capabilities.js";
export type { BackupHostCapabilities, HostCapabilities } from "./esxi/probe/host-capabilities.js";
export { parseVmwareVersion } from "./esxi/probe/parse-vmware-version.js";
export type { EsxiVersionInfo } from "./esxi/probe/parse-vmware-version.js";
export type { UnidentifiedEsxi } from "./esxi/probe/identify-esxi-release.js";
export { isDatastore, parseFilesystemList } from "./esxi/probe/parse-filesystem-list.js";
export type { MountedFilesystem } from "./esxi/probe/parse-filesystem-list.js";
export { parseShellCapabilities } from "./esxi/probe/parse-shell-capabilities.js";
export type { HashApplet, PythonInterpreter, ShellCapabilities } from "./esxi/probe/parse-shell-capabilities.js";
export { parseHostArgument } from "./esxi/ssh/host-argument.js";
export { defaultKnownHostsPath } from "./esxi/ssh/default-known-hosts-path.js";

// Change detection on the host (docs/adr/0019-host-block-fingerprints.md).
export { pythonBlockHashCommand, shellBlockHashCommand } from "./esxi/hashing/block-hash-command.js";
export type { HostCommand } from "./esxi/hashing/block-hash-command.js";
export type { BlockHashRequest } from "./esxi/hashing/block-hash-request.js";
export { BlockHashOutputError } from "./esxi/hashing/block-hash-output-error.js";
export { parseBlockHashOutput } from "./esxi/hashing/parse-block-hash-output.js";
export type { HostBlockHashes } from "./esxi/hashing/parse-block-hash-output.js";
export { DEFAULT_HOST_FINGERPRINTS, chooseHashingMethod } from "./esxi/hashing/hashing-method.js";
export type { HashingCapabilities, HashingMethod } from "./esxi/hashing/hashing-method.js";
export { joinHostBlockHashes, splitDiskForHashing } from "./esxi/hashing/host-disk-hashing.js";
export type { HostDiskKind } from "./esxi/hashing/host-disk-hashing.js";
export { chooseHostFingerprintKind, hashPartCount } from "./esxi/hashing/host-fingerprint-kind.js";

// The backup run's snapshot (docs/adr/0022-run-snapshot.md): named for the run, removed in every outcome,
// orphans of crashed runs removed by name, the user's snapshots never touched.
export { RUN_SNAPSHOT_PREFIX, runIdOfSnapshotName, runSnapshotDescription, runSnapshotName } from "./esxi/snapshot/run-snapshot-name.js";
export { classifySnapshots, flattenSnapshotTree } from "./esxi/snapshot/classify-snapshots.js";
export type { ClassifiedSnapshots, SnapshotRef } from "./esxi/snapshot/classify-snapshots.js";
export { decideRunSnapshot } from "./esxi/snapshot/decide-run-snapshot.js";
export type { RunSnapshotDecision, RunSnapshotDecisionInput } from "./esxi/snapshot/decide-run-snapshot.js";
export { RunSnapshotLeftBehindError, SnapshotOperationError, UserSnapshotsPresentError } from "./esxi/snapshot/run-snapshot-errors.js";
export type { SnapshotOperation, SnapshotVm } from "./esxi/snapshot/run-snapshot-errors.js";
export { createSnapshot, readPowerState, readSnapshotTree, removeSnapshot } from "./esxi/snapshot/vim-cmd-snapshots.js";
export type { CreateSnapshotRequest, SnapshotCommandOptions, SnapshotSession } from "./esxi/snapshot/vim-cmd-snapshots.js";
export { withRunSnapshot } from "./esxi/snapshot/with-run-snapshot.js";
export type { BusyRetriedOperation, HostBusyWait } from "./esxi/snapshot/host-busy-retry.js";
export type { RunSnapshot, RunSnapshotEvent, RunSnapshotOptions } from "./esxi/snapshot/with-run-snapshot.js";

// The backup pipeline of one disk behind the disk-source port (docs/adr/0020-one-backup-pipeline.md), also
// its own entry point (@esxbackup/transporter/backup) for callers that must not load SSH.
export * from "./backup/index.js";

export { planDiskChanges } from "./backup/plan-disk-changes.js";
export type { ChunkBuild, DiskChangeInput, DiskChangePlan } from "./backup/plan-disk-changes.js";

// Reading a host's inventory over SSH (VMs → disks through their chains → snapshots), and read-only vim-cmd calls.
export { parseGetAllVmsStderr } from "./esxi/parsers/parse-get-all-vms.js";
export type { UnreadableVm } from "./esxi/inventory/host-inventory.js";
export { DEFAULT_VM_CONCURRENCY, readHostInventory } from "./esxi/inventory/read-host-inventory.js";
export type { ReadHostInventoryOptions } from "./esxi/inventory/read-host-inventory.js";
export { readVmInventory, vmLabel } from "./esxi/inventory/read-vm-inventory.js";
export { readVmDisks } from "./esxi/inventory/read-vm-disks.js";
export { HostFileTooLargeError, MAX_HOST_TEXT_FILE_BYTES, readHostTextFile } from "./esxi/inventory/read-host-text-file.js";
export { runVimCmd } from "./esxi/vim-cmd/run-vim-cmd.js";
export type { VimCmdOutput } from "./esxi/vim-cmd/run-vim-cmd.js";
export { HostdUnreachableError } from "./esxi/vim-cmd/hostd-unreachable-error.js";
export { VimFaultError } from "./esxi/vim-cmd/vim-fault-error.js";
// A question a VM waits on at power-on (docs/adr/0042): `vim-cmd vmsvc/message`, and the power-on that stops for it.
export { parseVmQuestions } from "./esxi/vim-cmd/vm-question.js";
export type { VmQuestion, VmQuestionChoice } from "./esxi/vim-cmd/vm-question.js";
export { VmQuestionPendingError } from "./esxi/vim-cmd/vm-question-pending-error.js";

// Reading a VM's disk on a host over SSH (docs/adr/0024): the DiskSource of a frozen base extent.
export { DEFAULT_DISK_READ_CHANNELS, EsxiDiskSource } from "./esxi/disk/esxi-disk-source.js";
export type { EsxiDiskSourceOptions } from "./esxi/disk/esxi-disk-source.js";
export type { DiskReadMechanism } from "./esxi/disk/host-disk-reader.js";
export { DiskReadShortError } from "./esxi/disk/disk-read-errors.js";
export { DISK_READ_PYTHON_SCRIPT } from "./esxi/disk/disk-read-python-script.js";

// Backing up VMs of a host (docs/adr/0024): plan, run snapshot, each disk's frozen base through the pipeline.
// The bandwidth limit (docs/adr/0032): a token bucket and the limiter every transfer of a run asks first.
export { checkTokenBucketLimit, decideTransfer, fullTokenBucket, tokenBucketAt } from "./transfer/token-bucket.js";
export type { TokenBucketDecision, TokenBucketLimit, TokenBucketState } from "./transfer/token-bucket.js";
export { DEFAULT_RATE_LIMIT_BURST_BYTES, TransferRateLimiter } from "./transfer/transfer-rate-limiter.js";
export type { TransferRateLimiterOptions } from "./transfer/transfer-rate-limiter.js";
export { backUpVm } from "./vm-backup/back-up-vm.js";
export type { BackUpVmRequest, VmBackupEvent, VmBackupResult } from "./vm-backup/back-up-vm.js";
export { DEFAULT_VM_BACKUP_CONCURRENCY, backUpVms } from "./vm-backup/back-up-vms.js";
export { selectAllVms } from "./vm-backup/select-vms.js";
export type { VmSelection } from "./vm-backup/select-vms.js";
export type { BackUpVmsRequest, VmBackupOutcome } from "./vm-backup/back-up-vms.js";
export { findPreviousPoint } from "./vm-backup/find-previous-point.js";
export type { PointSummary, PreviousPoint } from "./vm-backup/find-previous-point.js";
export { POINT_READ_AHEAD, pointSummariesNewestFirst } from "./vm-backup/point-summaries.js";
export { planVmBackup } from "./vm-backup/plan-vm-backup.js";
export type { PlannedDisk, VmBackupPlan, VmBackupPlanInput } from "./vm-backup/plan-vm-backup.js";
export { DatastoreSpaceRefusedError, VmBackupRefusedError, VmNotFoundError } from "./vm-backup/vm-backup-errors.js";
export { DEFAULT_DATASTORE_FREE_MINIMUM, datastoreShortfall, datastoreShortfalls, describeShortfall } from "./vm-backup/datastore-room.js";
export type { DatastoreFreeMinimum, DatastoreShortfall } from "./vm-backup/datastore-room.js";
export { hostFileExists, readHostFileBytes } from "./esxi/inventory/read-host-text-file.js";

// Restore of a point to an ESXi host as a new VM (docs/adr/0025-restore-to-host.md).
export { restoreToHost, DEFAULT_RESTORE_CHANNELS, HostRestoreFailedError, PowerOnFailedError, RestoreLeftResumableError, resumeAdvice } from "./restore/restore-to-host.js";
export type { HostRestoreSession, KeptRestore, RestoreToHostRequest, RestoreToHostResult } from "./restore/restore-to-host.js";
export { checkHostRestoreTarget, planHostRestore, vmNameProblem } from "./restore/plan-host-restore.js";
export type { HostRestoreDisk, HostRestorePlan, HostRestoreRequest, HostRestoreTargetFacts } from "./restore/plan-host-restore.js";
export { HostRestoreRefusedError } from "./restore/host-restore-refused-error.js";
export type { HostRestoreRefusal } from "./restore/host-restore-refused-error.js";
export { compareFingerprints, verifyRestoredDisk, verifyRestoredDisks } from "./restore/verify-restored-disk.js";
export type { FingerprintComparison, RestoredDiskVerification, RestoreVerification } from "./restore/verify-restored-disk.js";
export { RestoreVerificationError } from "./restore/restore-verification-error.js";
export { rewriteVmxForRestore } from "./restore/rewrite-vmx-for-restore.js";
export type { RewrittenVmx, VmxRewrite } from "./restore/rewrite-vmx-for-restore.js";
export { HostWriteError, openFlatFileWriter } from "./restore/host-flat-writer.js";
export type { FlatFileWriter, FlatWriteMethod } from "./restore/host-flat-writer.js";
export { FLAT_WRITER_PYTHON_SCRIPT } from "./restore/flat-writer-python-script.js";
export { restoreOverOriginal } from "./restore/restore-over-original.js";
export type { RestoreOverOriginalRequest, RestoreOverOriginalResult } from "./restore/restore-over-original.js";
export { planOverOriginalRestore } from "./restore/plan-over-original-restore.js";
export type { OverOriginalDisk, OverOriginalPlan } from "./restore/plan-over-original-restore.js";
