/**
 * @esxbackup/esxi-simulator — a fake stock free-licence ESXi host: an SSH server with ESXi's settings, a
 * busybox shell in a sandbox laid out like ESXi, vim-cmd / vmkfstools / esxcli with the host's own output
 * formats, datastores with real VMDK files, snapshots, and VMs that keep writing. Tests and the quick start
 * use it; its value is its fidelity to ../shared/reference/esxi-facts.md.
 */
export const ESXI_SIMULATOR_PACKAGE = "@esxbackup/esxi-simulator";

// Running hosts: SSH server + sandbox + bridge in front of the host model.
export { startSimulator, DEFAULT_SIMULATOR_STATE_DIR } from "./simulator.js";
export type { Simulator, SimulatorOptions } from "./simulator.js";
export { SimulatedHost } from "./simulated-host.js";
export type { HostBackend, OpenHostBackend, SimulatedHostOptions } from "./simulated-host.js";
export type { SshFaultSettings } from "./ssh/ssh-faults.js";
export type { LoginAttempt, SshWireBytes } from "./ssh/esxi-ssh-server.js";
export { esxiSshProfile } from "./ssh/esxi-ssh-profile.js";
export type { EsxiSshProfile } from "./ssh/esxi-ssh-profile.js";
export { SandboxError } from "./sandbox/sandbox-error.js";
export { OpenSshTestClient } from "./ssh/openssh-test-client.js";
export type { SshResult, SshRunOptions } from "./ssh/openssh-test-client.js";

// Configuration and the host model.
export { ESXI_VERSIONS, defaultSimulatorConfig, loadSimulatorConfigFile, parseHostConfig, parseSimulatorConfig } from "./config/simulator-config.js";
export type {
  ByteRange,
  DatastoreConfig,
  DiskConfig,
  DiskProvisioning,
  EsxiVersion,
  FaultsConfig,
  HostConfig,
  InvalidVmLinePlacement,
  OperationFaultConfig,
  PowerState,
  SimulatorConfig,
  SshUserConfig,
  ToolBehaviourConfig,
  UserSnapshotConfig,
  VmConfig,
  WorkloadConfig,
} from "./config/simulator-config.js";
export { HostModel } from "./host/host-model.js";
export { withHostModel } from "./host/with-host-model.js";
export type { HostModelOptions } from "./host/host-model.js";
export type { PointInTimeRecord, DiskPointInTime } from "./host/point-in-time.js";
export type { VmView, DiskView, SnapshotView } from "./host/vm-view.js";
export { ManualScheduler } from "./host/workload.js";
export type { WorkloadWrite } from "./host/workload.js";
export { HOST_PYTHON_VERSIONS, checkHostPythonScript } from "./python/host-python.js";
export type { HostPythonProblem } from "./python/host-python.js";
export { HOST_TOOL_NAMES } from "./host-tools.js";
export type { HostToolName, HostTools, ToolInvocation, ToolResult } from "./host-tools.js";
