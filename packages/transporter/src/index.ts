/**
 * @esxbackup/transporter — the data plane. A BullMQ worker that executes tasks (inventory, VM backup,
 * restore, verify, prune/gc): all ESXi I/O (SSH) and all repository I/O happens here. It reports to the
 * director over gRPC (esxbackup.transport.v1) and keeps no state of its own beyond the repositories it serves.
 */
export { GrpcTransporterReporter } from "./grpc/grpc-transporter-reporter.js";
export type { ProgressStream } from "./grpc/grpc-transporter-reporter.js";
export { startBullmqTaskWorker } from "./tasks/bullmq-task-worker.js";
export type { BullmqTaskWorkerOptions, RunningTaskWorker, TaskHandlers } from "./tasks/bullmq-task-worker.js";

// ESXi access over SSH: sessions, host-key pinning, quoting, capability probe.
export { EsxiSshSession } from "./esxi/ssh/esxi-ssh-session.js";
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
export { probeHostCapabilities } from "./esxi/probe/host-capabilities.js";
export type { HostCapabilities } from "./esxi/probe/host-capabilities.js";
export { parseVmwareVersion } from "./esxi/probe/parse-vmware-version.js";
export type { EsxiVersionInfo } from "./esxi/probe/parse-vmware-version.js";
export { isDatastore, parseFilesystemList } from "./esxi/probe/parse-filesystem-list.js";
export type { MountedFilesystem } from "./esxi/probe/parse-filesystem-list.js";
export { parseShellCapabilities } from "./esxi/probe/parse-shell-capabilities.js";
export type { HashApplet, PythonInterpreter, ShellCapabilities } from "./esxi/probe/parse-shell-capabilities.js";
export { parseHostArgument } from "./esxi/ssh/host-argument.js";
export { defaultKnownHostsPath } from "./esxi/ssh/default-known-hosts-path.js";
