/**
 * The host's state and every operation that changes it (the tools only parse arguments and render).
 * Operations are serialized through one queue, workload writes included, so each snapshot sits exactly
 * between two writes and its point-in-time record is exact. The inventory is persisted after each change
 * (inventory-file.ts); the datastore files are the disks' truth.
 *
 * The parts: where files are (vm-layout.ts), writing a VM's small files (vm-file-writer.ts), creating a
 * configured VM (vm-provisioning.ts), reading a .vmx back (vmx-reader.ts), deltas and consolidation
 * (snapshot-deltas.ts), disk I/O through a chain (disk-chain-io.ts), point-in-time records
 * (point-in-time-recorder.ts), locks (file-lock.ts), the guests' writes (workload.ts).
 */
import { lstat, mkdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Clock } from "@esxbackup/domain";
import { QUIESCE_FAULT, type BusyOperation, type DatastoreConfig, type HostConfig, type PowerState, type VmConfig } from "../config/simulator-config.js";
import { datastoreUsedBytes } from "./datastore-usage.js";
import { GRAIN_BYTES, allocatedRuns, clearDelta } from "./delta-extent.js";
import { DiskChainIo } from "./disk-chain-io.js";
import { FileLocks } from "./file-lock.js";
import { HostFaults } from "./host-faults.js";
import { HostOperationError } from "./host-operation-error.js";
import { InventoryFile } from "./inventory-file.js";
import type { PointInTimeRecord } from "./point-in-time.js";
import { PointInTimeRecorder } from "./point-in-time-recorder.js";
import { startRunningFiles, stopRunningFiles } from "./running-vm-files.js";
import { SandboxPaths } from "./sandbox-paths.js";
import { SnapshotDeltas } from "./snapshot-deltas.js";
import { VmFileWriter } from "./vm-file-writer.js";
import { instanceUuid, vmxUuid } from "./vm-identity.js";
import { VmLayout } from "./vm-layout.js";
import { VmProvisioning } from "./vm-provisioning.js";
import { currentDescriptor, vmFileBase, type DiskRecord, type SnapshotRecord, type VmRecord } from "./vm-record.js";
import { buildVmView, type VmView } from "./vm-view.js";
import { readVmxInto } from "./vmx-reader.js";
import { Workload, timerScheduler, type WorkloadScheduler } from "./workload.js";

export interface HostStateOptions {
  rootDir: string;
  config: HostConfig;
  clock: Clock;
  lockDir?: string;
  scheduler?: WorkloadScheduler;
  /** Disks up to this size keep their whole image in point-in-time records. Default 64 MiB. */
  wholeImageMaxBytes?: number;
  /** Point-in-time records kept per VM, newest first (each holds an undo log of later writes). Default 16. */
  pointInTimeRecordsPerVm?: number;
}

const MIB = 1024 * 1024;

export class HostState {
  readonly config: HostConfig;
  readonly rootDir: string;
  readonly clock: Clock;
  readonly paths: SandboxPaths;
  readonly locks: FileLocks;
  readonly faults: HostFaults;
  readonly layout: VmLayout;
  readonly #files: VmFileWriter;
  readonly #provisioning: VmProvisioning;
  readonly #deltas: SnapshotDeltas;
  readonly #io: DiskChainIo;
  readonly #inventoryFile: InventoryFile;
  readonly #scheduler: WorkloadScheduler;
  readonly #recorder: PointInTimeRecorder;
  #nextVmid = 1;
  /** Numbers the task a TaskInProgress fault names. */
  #busyTaskSeq = 4000;
  readonly #vms = new Map<number, VmRecord>();
  readonly #workloads = new Map<number, Workload>();
  #queue: Promise<unknown> = Promise.resolve();
  #started = false;

  private constructor(options: HostStateOptions) {
    this.config = options.config;
    this.rootDir = options.rootDir;
    this.clock = options.clock;
    this.paths = new SandboxPaths(options.rootDir, options.config.datastores);
    this.locks = new FileLocks(options.rootDir, options.lockDir ?? `${options.rootDir.replace(/\/+$/u, "")}.locked`);
    this.faults = new HostFaults(options.config.faults);
    this.layout = new VmLayout(options.config.datastores, this.paths);
    this.#files = new VmFileWriter(this.layout);
    this.#provisioning = new VmProvisioning(options.config, this.layout, this.#files);
    this.#deltas = new SnapshotDeltas(this.layout, this.locks);
    this.#io = new DiskChainIo(this.locks);
    this.#inventoryFile = new InventoryFile(options.rootDir);
    this.#scheduler = options.scheduler ?? timerScheduler;
    this.#recorder = new PointInTimeRecorder(this.#io, this.layout, join(this.locks.lockDir, ".point-in-time"), options.wholeImageMaxBytes ?? 64 * MIB, options.pointInTimeRecordsPerVm ?? 16);
  }

  static async open(options: HostStateOptions): Promise<HostState> {
    const s = new HostState(options);
    await s.#prepareVolumes();
    await s.#recorder.open();
    const saved = await s.#inventoryFile.load();
    if (saved === null) {
      for (const vm of options.config.vms) await s.#createFromConfig(vm);
      await s.#persist();
    } else {
      s.#nextVmid = saved.nextVmid;
      for (const vm of saved.vms) s.#vms.set(vm.vmid, vm);
    }
    for (const vm of s.#vms.values()) s.#makeWorkload(vm);
    return s;
  }

  /** Runs `fn` after every earlier operation; the host's single queue. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  get stateFile(): string {
    return this.#inventoryFile.path;
  }

  async #prepareVolumes(): Promise<void> {
    const volumes = this.paths.volumesDir();
    await mkdir(volumes, { recursive: true });
    await mkdir(this.locks.lockDir, { recursive: true });
    for (const ds of this.config.datastores) {
      await mkdir(this.paths.datastoreDir(ds), { recursive: true });
      const link = join(volumes, ds.name);
      try {
        await lstat(link);
      } catch {
        await symlink(ds.uuid, link);
      }
    }
  }

  async #persist(): Promise<void> {
    await this.#inventoryFile.save(this.#nextVmid, [...this.#vms.values()]);
  }

  datastoreOf(vm: VmRecord): DatastoreConfig {
    return this.layout.datastoreOf(vm);
  }

  /** Whether each of the VM's disks takes seSparse deltas (VMFS6, or 2 TiB and more on VMFS5). */
  seSparse(vm: VmRecord): (disk: DiskRecord) => boolean {
    return (disk) => this.layout.seSparse(vm, disk);
  }

  // --- creating VMs ---------------------------------------------------------------------------------------

  #allocateVmid(wanted?: number): number {
    const id = wanted ?? this.#nextVmid;
    this.#nextVmid = Math.max(this.#nextVmid, id + 1);
    return id;
  }

  async #createFromConfig(c: VmConfig): Promise<void> {
    const vm = await this.#provisioning.create(c, this.#allocateVmid(c.vmid));
    this.#vms.set(vm.vmid, vm);
    for (const s of c.snapshots) await this.#takeSnapshot(vm, s.name, s.description, false);
    if (c.powerState !== "poweredOff") await this.#setPower(vm, c.powerState);
  }

  // --- disk writes and point-in-time records -------------------------------------------------------------

  /** A workload write into the VM's current write target; false when the VM is not running. */
  writeBlock(vmid: number, slot: string, offsetBytes: number, data: Buffer): Promise<boolean> {
    return this.exclusive(async () => {
      const vm = this.#vms.get(vmid);
      const disk = vm?.disks.find((d) => d.slot === slot);
      if (vm === undefined || disk === undefined || vm.powerState !== "poweredOn") return false;
      if (this.faults.isDatastoreFull(this.datastoreOf(vm).name)) {
        throw new Error(`There is no more space for virtual disk '${currentDescriptor(disk)}'. You might be able to continue this session by freeing disk space on the relevant volume, and clicking Retry.`);
      }
      await this.#recorder.beforeWrite(vm, disk, offsetBytes, data.length);
      await this.#io.write(this.layout.topExtent(vm, disk), disk.deltas.length === 0, disk.sizeBytes, offsetBytes, data);
      disk.changeSeq = (disk.changeSeq ?? 0) + 1;
      return true;
    });
  }

  /**
   * `vmkfstools -X` grew a base disk (`realDescriptor`): the record of a registered VM that uses it follows,
   * as hostd takes a disk's capacity from its descriptor, so later snapshots, writes and point-in-time
   * records cover the whole grown disk.
   */
  async baseDiskResized(realDescriptor: string, sizeBytes: number): Promise<void> {
    let changed = false;
    for (const vm of this.#vms.values()) {
      for (const disk of vm.disks) {
        if (disk.deltas.length === 0 && join(this.layout.vmDir(vm), disk.baseFile) === realDescriptor) {
          disk.sizeBytes = sizeBytes;
          changed = true;
        }
      }
    }
    if (changed) await this.#persist();
  }

  pointInTimeRecords(vmid?: number): PointInTimeRecord[] {
    return this.#recorder.records(vmid);
  }

  // --- snapshots ------------------------------------------------------------------------------------------

  vm(vmid: number): VmRecord | undefined {
    return this.#vms.get(vmid);
  }

  async #takeSnapshot(vm: VmRecord, name: string, description: string, record: boolean): Promise<SnapshotRecord> {
    const ds = this.datastoreOf(vm);
    if (this.faults.isDatastoreFull(ds.name)) {
      throw new HostOperationError("vim.fault.FileFault", "An error occurred while taking a snapshot: There is not enough space on the file system for the selected operation.");
    }
    const uid = vm.lastSnapshotUid + 1;
    if (record) await this.#recorder.begin(vm, uid, name, this.clock.now(), this.#workloads.get(vm.vmid)?.writes ?? 0);
    const snap: SnapshotRecord = {
      uid,
      name,
      description,
      createdAtMs: this.clock.now().getTime(),
      state: vm.powerState === "poweredOn" ? "powered on" : vm.powerState === "suspended" ? "suspended" : "powered off",
      frozen: {},
    };
    for (const disk of vm.disks) snap.frozen[disk.slot] = await this.#deltas.add(vm, disk);
    await writeFile(this.#vmsnPath(vm, uid), `snapshot ${uid} of ${vm.name}\n`);
    vm.snapshots.push(snap);
    vm.lastSnapshotUid = uid;
    await this.#files.writeVmx(vm);
    await this.#files.writeVmsd(vm);
    await this.#persist();
    return snap;
  }

  createSnapshot(vmid: number, name: string, description: string, options: { quiesce?: boolean } = {}): Promise<SnapshotRecord> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      this.refuseIfBusy("snapshot.create", `${vm.vmid}-vim.VirtualMachine.createSnapshot`);
      if (options.quiesce === true && vm.powerState === "poweredOn") {
        // Quiescing needs VMware Tools in the guest, which the simulated guests never run.
        const q = this.config.tools.quiesceFault ?? QUIESCE_FAULT;
        throw new HostOperationError(q.faultType, q.message);
      }
      const fault = this.faults.snapshotCreate;
      if (fault !== null) {
        throw new HostOperationError("vim.fault.GenericVmConfigFault", fault.message ?? "An error occurred while taking a snapshot: Failed to lock the file.");
      }
      return this.#takeSnapshot(vm, name, description, true);
    });
  }

  /**
   * Removes one snapshot: the delta its child state lives in is consolidated into the disk it froze. With
   * `removeChildren` its descendants go too (in a linear chain: every later snapshot), newest first.
   */
  removeSnapshot(vmid: number, uid: number, removeChildren = false): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      this.refuseIfBusy("snapshot.remove", `${vm.vmid}-vim.VirtualMachine.removeSnapshot`);
      const pos = vm.snapshots.findIndex((s) => s.uid === uid);
      if (pos < 0) throw new HostOperationError("vim.fault.NotFound", `The object or item referred to could not be found.`);
      if (pos === 0 && (!removeChildren || vm.snapshots.length === 1)) await this.#leaveDeltasOnFault(vm, 1);
      this.#checkConsolidationFault();
      const last = removeChildren ? vm.snapshots.length - 1 : pos;
      for (let p = last; p >= pos; p--) await this.#removeOne(vm, p);
      await this.#files.writeVmx(vm);
      await this.#files.writeVmsd(vm);
      await this.#persist();
    });
  }

  /**
   * `vim.fault.TaskInProgress` while the fault `taskInProgress` lasts and covers `operation`: its words are
   * those ESXi answers with (govc on an ESXi 5.5 host, vmware/govmomi#953), its `task` a reference shaped
   * like the task keys of `vimsvc/task_info` (`haTask-<vmid>-vim.VirtualMachine.powerOn-<n>`, VCL's
   * VIM_SSH.pm), here named for `otherTask` [UNCONFIRMED: the exact vim-cmd print of this fault, and whether
   * registervm and unregister are ever refused so]. Nothing is changed.
   */
  refuseIfBusy(operation: BusyOperation, otherTask: string): void {
    if (!this.faults.takeBusyTry(operation)) return;
    throw new HostOperationError("vim.fault.TaskInProgress", "Another task is already in progress.", { task: { ref: `vim.Task:haTask-${otherTask}-${this.#busyTaskSeq++}` } });
  }

  async #removeOne(vm: VmRecord, pos: number): Promise<void> {
    // Snapshot `pos` owns the level above the deltas no snapshot owns and the snapshots before it.
    for (const disk of vm.disks) await this.#deltas.merge(vm, disk, (vm.unownedDeltas ?? 0) + pos + 1);
    const next = vm.snapshots[pos + 1];
    const removed = vm.snapshots[pos];
    if (next !== undefined && removed !== undefined) next.frozen = { ...removed.frozen };
    vm.snapshots.splice(pos, 1);
    if (removed !== undefined) await rm(this.#vmsnPath(vm, removed.uid), { force: true });
  }

  /**
   * Goes back to the newest snapshot: each disk's top delta is emptied (the point-in-time records first
   * save what it held). Without memory in the snapshot the VM ends powered off unless `suppressPowerOff`
   * [UNCONFIRMED]. Reverting to an older snapshot would branch the tree, which this host's linear chains
   * cannot hold: it fails with NotSupported (a known difference).
   */
  revertSnapshot(vmid: number, uid: number, suppressPowerOff: boolean): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      const pos = vm.snapshots.findIndex((s) => s.uid === uid);
      if (pos < 0) throw new HostOperationError("vim.fault.NotFound", `The object or item referred to could not be found.`);
      if (pos !== vm.snapshots.length - 1) {
        throw new HostOperationError("vmodl.fault.NotSupported", "The simulated host can only revert to the newest snapshot (its snapshot chains are linear).");
      }
      for (const disk of vm.disks) {
        const top = await this.locks.dataPath(this.layout.topExtent(vm, disk));
        for (const [off, len] of await allocatedRuns(top, disk.sizeBytes)) await this.#recorder.beforeWrite(vm, disk, off, len);
        await clearDelta(top, disk.sizeBytes);
        disk.changeSeq = disk.levelSeqs?.[disk.levelSeqs.length - 1] ?? disk.changeSeq ?? 0;
      }
      if (!suppressPowerOff && vm.powerState !== "poweredOff") await this.#setPower(vm, "poweredOff");
      await this.#persist();
    });
  }

  removeAllSnapshots(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      if (vm.snapshots.length === 0) return;
      await this.#leaveDeltasOnFault(vm, vm.snapshots.length);
      this.#checkConsolidationFault();
      for (const disk of vm.disks) while (disk.deltas.length > 0) await this.#deltas.merge(vm, disk, disk.deltas.length);
      for (const s of vm.snapshots) await rm(this.#vmsnPath(vm, s.uid), { force: true });
      vm.snapshots = [];
      delete vm.unownedDeltas;
      await this.#files.writeVmx(vm);
      await this.#files.writeVmsd(vm);
      await this.#persist();
    });
  }

  /**
   * With a consolidation fault that `leavesDeltas`: the `count` oldest snapshots leave the tree, their deltas
   * stay in every chain, unowned (`VmRecord.unownedDeltas`), and the removal fails ("disk consolidation
   * needed"). Without one, nothing.
   */
  async #leaveDeltasOnFault(vm: VmRecord, count: number): Promise<void> {
    const fault = this.faults.consolidate;
    if (fault === null || fault.leavesDeltas !== true) return;
    const removed = vm.snapshots.splice(0, count);
    for (const s of removed) await rm(this.#vmsnPath(vm, s.uid), { force: true });
    vm.unownedDeltas = (vm.unownedDeltas ?? 0) + removed.length;
    await this.#files.writeVmsd(vm);
    await this.#persist();
    this.#checkConsolidationFault();
  }

  /** The snapshot's state file, `<vm>-Snapshot<uid>.vmsn`. */
  #vmsnPath(vm: VmRecord, uid: number): string {
    return join(this.layout.vmDir(vm), `${vmFileBase(vm)}-Snapshot${uid}.vmsn`);
  }

  #checkConsolidationFault(): void {
    const fault = this.faults.consolidate;
    if (fault !== null) {
      throw new HostOperationError("vim.fault.GenericVmConfigFault", fault.message ?? "An error occurred while consolidating disks: Failed to lock the file.");
    }
  }

  #requireVm(vmid: number): VmRecord {
    const vm = this.#vms.get(vmid);
    if (vm === undefined) throw new HostOperationError("vim.fault.NotFound", `Unable to find a VM corresponding to "${vmid}"`);
    return vm;
  }

  // --- power ----------------------------------------------------------------------------------------------

  async #setPower(vm: VmRecord, state: PowerState): Promise<void> {
    const lck = join(this.layout.vmDir(vm), `${vm.vmxFile}.lck`);
    if (state === "poweredOn") {
      for (const disk of vm.disks) await this.locks.lock(this.layout.topExtent(vm, disk));
      await this.locks.lock(lck);
      await startRunningFiles(this.layout.vmDir(vm), vm, this.locks, this.clock.now());
      vm.bootTimeMs = this.clock.now().getTime();
    } else {
      for (const disk of vm.disks) await this.locks.unlock(this.layout.topExtent(vm, disk));
      await this.locks.remove(lck);
      await stopRunningFiles(this.layout.vmDir(vm), vm, this.locks);
      delete vm.bootTimeMs;
    }
    vm.powerState = state;
    await this.#persist();
    const w = this.#workloads.get(vm.vmid);
    if (state === "poweredOn" && this.#started) w?.start();
    if (state !== "poweredOn") void w?.stop();
  }

  setPower(vmid: number, state: PowerState): Promise<void> {
    return this.exclusive(async () => this.#setPower(this.#requireVm(vmid), state));
  }

  // --- register / unregister / reload ---------------------------------------------------------------------

  registerVm(sandboxVmxPath: string, cwd: string): Promise<number> {
    return this.exclusive(async () => {
      this.refuseIfBusy("registervm", "ha-folder-vm-vim.Folder.registerVm");
      const resolved = this.paths.resolve(sandboxVmxPath, cwd);
      try {
        await stat(resolved.real);
      } catch {
        throw new HostOperationError("vim.fault.NotFound", "The object or item referred to could not be found.");
      }
      const dupe = [...this.#vms.values()].find((v) => v.dsUuid === resolved.datastore.uuid && `${v.folder}/${v.vmxFile}` === resolved.relative);
      if (dupe !== undefined) throw new HostOperationError("vim.fault.AlreadyExists", `The specified key, name, or identifier '${dupe.vmid}' already exists.`, { name: String(dupe.vmid) });
      const vm: VmRecord = {
        vmid: this.#allocateVmid(),
        dsUuid: resolved.datastore.uuid,
        folder: posix.dirname(resolved.relative),
        vmxFile: posix.basename(resolved.relative),
        name: "",
        guestId: "otherGuest64",
        annotation: "",
        powerState: "poweredOff",
        cbt: false,
        hardwareVersion: 14,
        memoryMB: 1024,
        numCpus: 1,
        uuidBios: vmxUuid("564d"),
        vcUuid: vmxUuid("52"),
        instanceUuid: instanceUuid(),
        disks: [],
        snapshots: [],
        lastSnapshotUid: 0,
        workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 },
      };
      await readVmxInto(this.layout, vm);
      this.#vms.set(vm.vmid, vm);
      this.#makeWorkload(vm);
      await this.#persist();
      return vm.vmid;
    });
  }

  /** Holds a registered VM as invalid, saying why (`VmRecord.invalid`). */
  markInvalid(vmid: number, why: string): Promise<void> {
    return this.exclusive(async () => {
      this.#requireVm(vmid).invalid = why;
      await this.#persist();
    });
  }

  /** Re-reads the .vmx (name, guest, memory, CPUs, CBT, disks); keeps snapshots and power state. */
  reloadVm(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      await readVmxInto(this.layout, this.#requireVm(vmid));
      await this.#persist();
    });
  }

  unregisterVm(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      this.refuseIfBusy("unregister", `${this.#requireVm(vmid).vmid}-vim.VirtualMachine.unregister`);
      await this.#removeFromInventory(vmid);
      await this.#persist();
    });
  }

  /** Deletes a powered-off VM and its folder (`vmsvc/destroy`). */
  destroyVm(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      const vm = await this.#removeFromInventory(vmid);
      await this.#recorder.settle(vmid);
      await rm(this.layout.vmDir(vm), { recursive: true, force: true });
      await this.#persist();
    });
  }

  /** Takes a powered-off VM out of the inventory (unregister and destroy both need it off first). */
  async #removeFromInventory(vmid: number): Promise<VmRecord> {
    const vm = this.#requireVm(vmid);
    if (vm.powerState !== "poweredOff") {
      throw new HostOperationError("vim.fault.InvalidPowerState", `The attempted operation cannot be performed in the current state (${vm.powerState === "poweredOn" ? "Powered on" : "Suspended"}).`, {
        requestedState: "poweredOff",
        existingState: vm.powerState,
      });
    }
    await this.#workloads.get(vmid)?.stop();
    this.#workloads.delete(vmid);
    this.#vms.delete(vmid);
    return vm;
  }

  /** Whether hostd lists the VM as valid: its .vmx still exists, and it was not held invalid (`VmRecord.invalid`). */
  async isValid(vm: VmRecord): Promise<boolean> {
    return vm.invalid === undefined && (await this.hasVmx(vm));
  }

  /** Whether the VM's .vmx still exists; hostd lists a VM without one as invalid. */
  async hasVmx(vm: VmRecord): Promise<boolean> {
    try {
      await stat(join(this.layout.vmDir(vm), vm.vmxFile));
      return true;
    } catch {
      return false;
    }
  }

  // --- workloads ------------------------------------------------------------------------------------------

  #makeWorkload(vm: VmRecord): void {
    const w = new Workload(
      vm.vmid,
      vm.workload,
      vm.disks.map((d) => ({ slot: d.slot, hotSet: d.hotSet.filter((r) => r.offsetBytes % GRAIN_BYTES === 0) })),
      (slot, off, data) => this.writeBlock(vm.vmid, slot, off, data),
      this.#scheduler,
    );
    this.#workloads.set(vm.vmid, w);
  }

  workload(vmid: number): Workload {
    const w = this.#workloads.get(vmid);
    if (w === undefined) throw new Error(`no VM with vmid ${vmid}`);
    return w;
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const vm of this.#vms.values()) if (vm.powerState === "poweredOn") this.#workloads.get(vm.vmid)?.start();
  }

  async stop(): Promise<void> {
    this.#started = false;
    for (const w of this.#workloads.values()) await w.stop();
    await this.exclusive(() => this.#persist());
  }

  // --- views ----------------------------------------------------------------------------------------------

  vms(): VmRecord[] {
    return [...this.#vms.values()];
  }

  inventory(): VmView[] {
    return this.vms().map((vm) => this.#view(vm));
  }

  vmByName(name: string): VmView {
    const found = this.vms().filter((v) => v.name === name);
    if (found.length !== 1 || found[0] === undefined) throw new Error(`${found.length} VMs named ${JSON.stringify(name)}`);
    return this.#view(found[0]);
  }

  #view(vm: VmRecord): VmView {
    // Locked extents are exactly the top extents of running VMs.
    const locked = new Set(this.vms().filter((v) => v.powerState === "poweredOn").flatMap((v) => v.disks.map((d) => this.layout.topExtent(v, d))));
    return buildVmView(this.layout, vm, (extent) => (locked.has(extent) ? this.locks.privatePath(extent) : extent));
  }

  /** Bytes allocated on a datastore (files in it and their locked counterparts). */
  usedBytes(ds: DatastoreConfig): Promise<number> {
    return datastoreUsedBytes(this.paths, this.locks, ds);
  }

  async freeBytes(ds: DatastoreConfig): Promise<number> {
    if (this.faults.isDatastoreFull(ds.name)) return 0;
    return Math.max(0, ds.capacityBytes - (await this.usedBytes(ds)));
  }
}
