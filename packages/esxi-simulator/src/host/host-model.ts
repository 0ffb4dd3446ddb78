/**
 * One simulated ESXi host: its inventory (VMs with vmids, power states, snapshots), its datastores as real
 * directories under `<rootDir>/vmfs/volumes`, the workloads of its running VMs, the faults it injects and the
 * point-in-time record of every snapshot. `tools` answers vim-cmd / vmkfstools / esxcli / vmware.
 *
 * Invariants:
 * - The model owns `<rootDir>/vmfs/**` and `<rootDir>/etc/vmware/hostd/esxsim-inventory.json`; nothing else
 *   under rootDir. Files a running VM holds open live in a private directory outside rootDir (so outside
 *   the sandbox); their place in the datastore holds a unix socket, which busybox cannot open (see file-lock.ts).
 * - Every state change is persisted before the tool that caused it returns, so a restart keeps it.
 * - All operations on one host are serialized (one at a time), like hostd's per-VM task queue.
 */
import type { Clock } from "@esxbackup/domain";
import type { HostConfig } from "../config/simulator-config.js";
import type { HostTools } from "../host-tools.js";
import { lockedFiles, type LockListener } from "./file-lock.js";
import { HostState } from "./host-state.js";
import type { HostFaults } from "./host-faults.js";
import type { PointInTimeRecord } from "./point-in-time.js";
import type { VmView } from "./vm-view.js";
import type { Workload, WorkloadScheduler } from "./workload.js";
import { SimulatedHostTools } from "../tools/simulated-host-tools.js";

export interface HostModelOptions {
  rootDir: string;
  config: HostConfig;
  clock: Clock;
  /** Where locked files live while a VM holds them; outside rootDir. Default: `<rootDir>.locked`. */
  lockDir?: string;
  /** Timers for the workloads; default: real timers. Tests usually pass `manualScheduler()` and call `tick`. */
  scheduler?: WorkloadScheduler;
  /** Disks up to this size keep their whole image in point-in-time records. Default 64 MiB. */
  wholeImageMaxBytes?: number;
  /** Point-in-time records kept per VM, the newest (each logs the old bytes of later writes). Default 16. */
  pointInTimeRecordsPerVm?: number;
}

export class HostModel {
  readonly tools: HostTools;
  readonly #state: HostState;

  private constructor(state: HostState) {
    this.#state = state;
    this.tools = new SimulatedHostTools(state);
  }

  /** Creates the host's files from the config on first use, or reloads the persisted inventory. */
  static async open(options: HostModelOptions): Promise<HostModel> {
    const state = await HostState.open(options);
    return new HostModel(state);
  }

  get config(): HostConfig {
    return this.#state.config;
  }

  get rootDir(): string {
    return this.#state.rootDir;
  }

  /** Starts the workloads of the powered-on VMs. Idempotent. */
  async start(): Promise<void> {
    await this.#state.start();
  }

  /** Stops the workloads, waits for writes in flight, and persists. Idempotent. */
  async stop(): Promise<void> {
    await this.#state.stop();
  }

  /** The registered VMs, by vmid. */
  inventory(): VmView[] {
    return this.#state.inventory();
  }

  /** The VM with this display name; throws if there is none or several. */
  vmByName(name: string): VmView {
    return this.#state.vmByName(name);
  }

  /** The faults, settable at run time (the config's `faults` are the initial values). */
  get faults(): HostFaults {
    return this.#state.faults;
  }

  /** The workload of a VM (exists for every VM; writes only while it is powered on and started). */
  workload(vmid: number): Workload {
    return this.#state.workload(vmid);
  }

  /**
   * Point-in-time records of the snapshots taken since the model was opened (the newest
   * `pointInTimeRecordsPerVm` per VM), oldest first. A record's `disks` are computed when first read.
   */
  pointInTimeRecords(vmid?: number): PointInTimeRecord[] {
    return this.#state.pointInTimeRecords(vmid);
  }

  /** The real paths of the files running VMs hold now. */
  lockedFiles(): Promise<string[]> {
    return lockedFiles(this.#state.locks);
  }

  /** Where the bytes of locked files live (outside rootDir). */
  get lockDir(): string {
    return this.#state.locks.lockDir;
  }

  /** Tells `listener` about every lock change from now on (one listener; undefined removes it). */
  setLockListener(listener: LockListener | undefined): void {
    this.#state.locks.setListener(listener);
  }

  /** Maps a sandbox path (`/vmfs/volumes/...`) to the real path; throws if it escapes rootDir. */
  realPath(sandboxPath: string): string {
    return this.#state.paths.toReal(sandboxPath, "/");
  }
}
