/**
 * The host's state and every operation that changes it (the tools only parse arguments and render).
 * Operations are serialized through one queue, workload writes included, so each snapshot sits exactly
 * between two writes and its point-in-time record is exact. The inventory is persisted as JSON after each
 * change (`<rootDir>/etc/vmware/hostd/esxsim-inventory.json`); the datastore files are the disks' truth.
 */
import { createHash, randomBytes, createCipheriv } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, stat, symlink, truncate, writeFile, lstat } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { Dirent } from "node:fs";
import type { Clock } from "@esxbackup/domain";
import type { DiskConfig, DiskProvisioning, HostConfig, PowerState, VmConfig, WorkloadConfig, DatastoreConfig, ByteRange } from "../config/simulator-config.js";
import { createDeltaExtent, overlayDelta, writeDelta, allocatedRuns, GRAIN_BYTES } from "./delta-extent.js";
import { FileLocks } from "./file-lock.js";
import { HostFaults } from "./host-faults.js";
import { HostOperationError } from "./host-operation-error.js";
import { POINT_IN_TIME_CHUNK_BYTES, type PointInTimeRecord, type DiskPointInTime } from "./point-in-time.js";
import { SandboxPaths } from "./sandbox-paths.js";
import type { VmView } from "./vm-view.js";
import { parseDescriptor, renderBaseDescriptor, renderDeltaDescriptor } from "./vmdk-descriptor.js";
import { parseVmx, renderVmx, vmxDisks } from "./vmx-file.js";
import { Workload, timerScheduler, type WorkloadScheduler } from "./workload.js";

export interface DiskRecord {
  slot: string;
  /** Base descriptor file name, relative to the VM folder. */
  baseFile: string;
  sizeBytes: number;
  provisioning: DiskProvisioning;
  uuid: string;
  cid: string;
  adapterType: string;
  /** Delta descriptor file names, oldest first; the last is the write target. */
  deltas: string[];
  hotSet: ByteRange[];
}

export interface SnapshotRecord {
  uid: number;
  name: string;
  description: string;
  createdAtMs: number;
  state: "powered on" | "powered off" | "suspended";
  /** Disk (descriptor) each slot froze. */
  frozen: Record<string, string>;
}

export interface VmRecord {
  vmid: number;
  dsUuid: string;
  folder: string;
  vmxFile: string;
  name: string;
  guestId: string;
  annotation: string;
  powerState: PowerState;
  cbt: boolean;
  hardwareVersion: number;
  memoryMB: number;
  numCpus: number;
  uuidBios: string;
  vcUuid: string;
  instanceUuid: string;
  bootTimeMs?: number;
  disks: DiskRecord[];
  snapshots: SnapshotRecord[];
  lastSnapshotUid: number;
  workload: WorkloadConfig;
}

interface Persisted {
  format: 1;
  nextVmid: number;
  vms: VmRecord[];
}

export interface HostStateOptions {
  rootDir: string;
  config: HostConfig;
  clock: Clock;
  lockDir?: string;
  scheduler?: WorkloadScheduler;
  /** Disks up to this size keep their whole image in point-in-time records. Default 64 MiB. */
  wholeImageMaxBytes?: number;
}

const MIB = 1024 * 1024;

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** `56 4d xx xx xx xx xx xx-xx xx xx xx xx xx xx xx` */
function vmxUuid(prefix: string): string {
  const b = [...Buffer.concat([Buffer.from(prefix, "hex"), randomBytes(16)]).subarray(0, 16)].map((x) => x.toString(16).padStart(2, "0"));
  return `${b.slice(0, 8).join(" ")}-${b.slice(8).join(" ")}`;
}

/** Deterministic pseudo-random bytes for the initial data of a disk region. */
export function seededBytes(seed: string, offsetBytes: number, length: number): Buffer {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offsetBytes / 16)), 8);
  return createCipheriv("aes-128-ctr", key, iv).update(Buffer.alloc(length));
}

export function flatFileOf(descriptor: string): string {
  return descriptor.replace(/\.vmdk$/u, "-flat.vmdk");
}

export function ctkFileOf(descriptor: string): string {
  return descriptor.replace(/\.vmdk$/u, "-ctk.vmdk");
}

export class HostState {
  readonly config: HostConfig;
  readonly rootDir: string;
  readonly clock: Clock;
  readonly paths: SandboxPaths;
  readonly locks: FileLocks;
  readonly faults: HostFaults;
  readonly #scheduler: WorkloadScheduler;
  readonly #wholeImageMaxBytes: number;
  #nextVmid = 1;
  #vms = new Map<number, VmRecord>();
  readonly #workloads = new Map<number, Workload>();
  readonly #records: PointInTimeRecord[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #started = false;

  private constructor(options: HostStateOptions) {
    this.config = options.config;
    this.rootDir = options.rootDir;
    this.clock = options.clock;
    this.paths = new SandboxPaths(options.rootDir, options.config.datastores);
    this.locks = new FileLocks(options.rootDir, options.lockDir ?? `${options.rootDir.replace(/\/+$/u, "")}.locked`);
    this.faults = new HostFaults(options.config.faults);
    this.#scheduler = options.scheduler ?? timerScheduler;
    this.#wholeImageMaxBytes = options.wholeImageMaxBytes ?? 64 * MIB;
  }

  static async open(options: HostStateOptions): Promise<HostState> {
    const s = new HostState(options);
    await s.#prepareVolumes();
    const saved = await s.#load();
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

  // --- serialization --------------------------------------------------------------------------------------

  /** Runs `fn` after every earlier operation; the host's single queue. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // --- files ----------------------------------------------------------------------------------------------

  get stateFile(): string {
    return join(this.rootDir, "etc", "vmware", "hostd", "esxsim-inventory.json");
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

  async #load(): Promise<Persisted | null> {
    try {
      return JSON.parse(await readFile(this.stateFile, "utf8")) as Persisted;
    } catch {
      return null;
    }
  }

  async #persist(): Promise<void> {
    await mkdir(dirname(this.stateFile), { recursive: true });
    const data: Persisted = { format: 1, nextVmid: this.#nextVmid, vms: [...this.#vms.values()] };
    const tmp = `${this.stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify(data, null, 2));
    await rename(tmp, this.stateFile);
  }

  datastoreOf(vm: VmRecord): DatastoreConfig {
    const ds = this.config.datastores.find((d) => d.uuid === vm.dsUuid);
    if (ds === undefined) throw new Error(`datastore ${vm.dsUuid} is gone`);
    return ds;
  }

  vmDir(vm: VmRecord): string {
    return join(this.paths.datastoreDir(this.datastoreOf(vm)), ...vm.folder.split("/"));
  }

  vmxSandboxPath(vm: VmRecord): string {
    return `/vmfs/volumes/${vm.dsUuid}/${vm.folder}/${vm.vmxFile}`;
  }

  seSparse(vm: VmRecord): boolean {
    return this.datastoreOf(vm).vmfsVersion === 6;
  }

  deltaExtentOf(vm: VmRecord, descriptor: string): string {
    return descriptor.replace(/\.vmdk$/u, this.seSparse(vm) ? "-sesparse.vmdk" : "-delta.vmdk");
  }

  /** Data extents (real, datastore-visible paths), base first. */
  extentPaths(vm: VmRecord, disk: DiskRecord): string[] {
    const dir = this.vmDir(vm);
    return [join(dir, flatFileOf(disk.baseFile)), ...disk.deltas.map((d) => join(dir, this.deltaExtentOf(vm, d)))];
  }

  topExtent(vm: VmRecord, disk: DiskRecord): string {
    const all = this.extentPaths(vm, disk);
    return all[all.length - 1] ?? "";
  }

  currentDescriptor(disk: DiskRecord): string {
    return disk.deltas[disk.deltas.length - 1] ?? disk.baseFile;
  }

  // --- creating VMs ---------------------------------------------------------------------------------------

  #allocateVmid(wanted?: number): number {
    const id = wanted ?? this.#nextVmid;
    this.#nextVmid = Math.max(this.#nextVmid, id + 1);
    return id;
  }

  async #createFromConfig(c: VmConfig): Promise<void> {
    const ds = this.config.datastores.find((d) => d.name === (c.datastore ?? this.config.datastores[0]?.name));
    if (ds === undefined) throw new Error(`no datastore for ${c.name}`);
    const folder = c.folder ?? c.name;
    const vm: VmRecord = {
      vmid: this.#allocateVmid(c.vmid),
      dsUuid: ds.uuid,
      folder,
      vmxFile: `${c.name}.vmx`,
      name: c.name,
      guestId: c.guestId,
      annotation: c.annotation,
      powerState: "poweredOff",
      cbt: c.cbt,
      hardwareVersion: c.hardwareVersion,
      memoryMB: c.memoryMB,
      numCpus: c.numCpus,
      uuidBios: vmxUuid("564d"),
      vcUuid: vmxUuid("52"),
      instanceUuid: `52${hex(3)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`,
      disks: [],
      snapshots: [],
      lastSnapshotUid: 0,
      workload: c.workload,
    };
    const dir = this.vmDir(vm);
    await mkdir(dir, { recursive: true });
    c.disks.forEach((d, i) => {
      const baseFile = d.fileName ?? (i === 0 ? `${c.name}.vmdk` : `${c.name}_${i}.vmdk`);
      vm.disks.push({
        slot: d.slot,
        baseFile,
        sizeBytes: d.sizeBytes,
        provisioning: d.provisioning,
        uuid: vmxUuid("6000c29").replace(/^(.{2}) (.{2})/u, "60 00"),
        cid: hex(4),
        adapterType: d.slot.startsWith("ide") ? "ide" : d.slot.startsWith("sata") ? "ide" : "pvscsi",
        deltas: [],
        hotSet: c.workload.hotSet?.[d.slot] ?? d.dataRegions,
      });
    });
    for (const [i, disk] of vm.disks.entries()) await this.#createBaseDisk(vm, disk, c.disks[i] as DiskConfig);
    await writeFile(join(dir, `${c.name}.nvram`), seededBytes(`${c.name}/nvram`, 0, 8684));
    await writeFile(join(dir, `${c.name}.vmxf`), `<?xml version="1.0"?>\n<Foundry>\n<VM>\n<VMId type="string">${vm.instanceUuid}</VMId>\n<ClientMetaData>\n<clientMetaDataAttributes/>\n<HistoryEventList/></ClientMetaData>\n<vmxPathName type="string">${vm.vmxFile}</vmxPathName></VM></Foundry>\n`);
    await this.writeVmx(vm);
    await this.writeVmsd(vm);
    this.#vms.set(vm.vmid, vm);
    for (const s of c.snapshots) await this.#takeSnapshot(vm, s.name, s.description, false);
    if (c.powerState !== "poweredOff") await this.#setPower(vm, c.powerState);
  }

  async #createBaseDisk(vm: VmRecord, disk: DiskRecord, c: DiskConfig): Promise<void> {
    const dir = this.vmDir(vm);
    const flat = join(dir, flatFileOf(disk.baseFile));
    await (await open(flat, "wx")).close();
    await truncate(flat, disk.sizeBytes);
    const fh = await open(flat, "r+");
    try {
      for (const r of c.dataRegions) {
        for (let off = r.offsetBytes; off < r.offsetBytes + r.lengthBytes; off += MIB) {
          const len = Math.min(MIB, r.offsetBytes + r.lengthBytes - off);
          await fh.write(seededBytes(`${vm.name}/${disk.slot}`, off, len), 0, len, off);
        }
      }
    } finally {
      await fh.close();
    }
    await this.writeBaseDescriptor(vm, disk);
    if (vm.cbt) await this.#writeCtk(join(dir, ctkFileOf(disk.baseFile)), disk.sizeBytes);
  }

  async writeBaseDescriptor(vm: VmRecord, disk: DiskRecord): Promise<void> {
    const text = renderBaseDescriptor({
      cid: disk.cid,
      sizeBytes: disk.sizeBytes,
      flatFile: flatFileOf(disk.baseFile),
      thin: disk.provisioning === "thin",
      adapterType: disk.adapterType,
      uuid: disk.uuid,
      longContentId: `${hex(12)}${disk.cid}`,
      hardwareVersion: vm.hardwareVersion,
      ...(vm.cbt ? { ctkFile: ctkFileOf(disk.baseFile) } : {}),
    });
    await writeFile(join(this.vmDir(vm), disk.baseFile), text);
  }

  /** A CBT file of the simulator's own format: "ESXSIM-CTK" header and one u32 per 64 KiB block. */
  async #writeCtk(path: string, sizeBytes: number): Promise<void> {
    const header = Buffer.alloc(512);
    header.write("ESXSIM-CTK", 0, "latin1");
    header.writeBigUInt64LE(BigInt(sizeBytes), 16);
    await writeFile(path, Buffer.concat([header, Buffer.alloc(Math.ceil(sizeBytes / 65536) * 4)]));
  }

  async writeVmx(vm: VmRecord): Promise<void> {
    const ds = this.datastoreOf(vm);
    const base = vm.vmxFile.replace(/\.vmx$/u, "");
    const text = renderVmx({
      displayName: vm.name,
      guestOs: vm.guestId.replace(/Guest$/u, "").replace(/_/gu, "-"),
      hardwareVersion: vm.hardwareVersion,
      memoryMB: vm.memoryMB,
      numCpus: vm.numCpus,
      annotation: vm.annotation,
      cbt: vm.cbt,
      uuidBios: vm.uuidBios,
      vcUuid: vm.vcUuid,
      disks: vm.disks.map((d) => ({ slot: d.slot, fileName: this.currentDescriptor(d), ctk: vm.cbt })),
      fileBase: base,
      swapPath: `/vmfs/volumes/${ds.uuid}/${vm.folder}/${base}-${vm.uuidBios.replace(/\W/gu, "").slice(-8)}.vswp`,
    });
    const path = join(this.vmDir(vm), vm.vmxFile);
    await writeFile(`${path}.tmp`, text);
    await rename(`${path}.tmp`, path);
  }

  /** `.vmsd` as written by ESXi (esxi-facts 2.4); empty when there are no snapshots. */
  async writeVmsd(vm: VmRecord): Promise<void> {
    const base = vm.vmxFile.replace(/\.vmx$/u, "");
    const path = join(this.vmDir(vm), `${base}.vmsd`);
    if (vm.snapshots.length === 0) {
      await writeFile(path, "");
      return;
    }
    const last = vm.snapshots[vm.snapshots.length - 1];
    const lines = [`.encoding = "UTF-8"`, `snapshot.lastUID = "${vm.lastSnapshotUid}"`, `snapshot.current = "${last?.uid ?? 0}"`];
    vm.snapshots.forEach((s, i) => {
      const us = BigInt(s.createdAtMs) * 1000n;
      lines.push(`snapshot${i}.uid = "${s.uid}"`, `snapshot${i}.filename = "${base}-Snapshot${s.uid}.vmsn"`);
      if (i > 0) lines.push(`snapshot${i}.parent = "${vm.snapshots[i - 1]?.uid ?? 0}"`);
      lines.push(`snapshot${i}.displayName = "${s.name}"`);
      if (s.description !== "") lines.push(`snapshot${i}.description = "${s.description}"`);
      lines.push(`snapshot${i}.createTimeHigh = "${us >> 32n}"`, `snapshot${i}.createTimeLow = "${BigInt.asIntN(32, us & 0xffffffffn)}"`);
      lines.push(`snapshot${i}.numDisks = "${vm.disks.length}"`);
      vm.disks.forEach((d, k) => lines.push(`snapshot${i}.disk${k}.fileName = "${s.frozen[d.slot] ?? ""}"`, `snapshot${i}.disk${k}.node = "${d.slot}"`));
      if (i === 0) lines.push(`snapshot.numSnapshots = "${vm.snapshots.length}"`);
    });
    await writeFile(path, `${lines.join("\n")}\n`);
  }

  // --- reading and writing disks --------------------------------------------------------------------------

  /** Reads the disk as seen through the first `levels` extents (base = 1 level). */
  async readDisk(vm: VmRecord, disk: DiskRecord, levels: number, offsetBytes: number, length: number): Promise<Buffer> {
    const extents = this.extentPaths(vm, disk).slice(0, levels);
    const out = Buffer.alloc(length);
    const [base, ...deltas] = extents;
    if (base !== undefined) {
      const fh = await open(await this.locks.dataPath(base), "r");
      try {
        await fh.read(out, 0, length, offsetBytes);
      } finally {
        await fh.close();
      }
    }
    for (const d of deltas) await overlayDelta(await this.locks.dataPath(d), disk.sizeBytes, offsetBytes, out);
    return out;
  }

  /** A workload write into the VM's current write target; false when the VM is not running or no space. */
  writeBlock(vmid: number, slot: string, offsetBytes: number, data: Buffer): Promise<boolean> {
    return this.exclusive(async () => {
      const vm = this.#vms.get(vmid);
      const disk = vm?.disks.find((d) => d.slot === slot);
      if (vm === undefined || disk === undefined || vm.powerState !== "poweredOn") return false;
      if (this.faults.isDatastoreFull(this.datastoreOf(vm).name)) {
        throw new Error(`There is no more space for virtual disk '${this.currentDescriptor(disk)}'. You might be able to continue this session by freeing disk space on the relevant volume, and clicking Retry.`);
      }
      const top = await this.locks.dataPath(this.topExtent(vm, disk));
      if (disk.deltas.length === 0) {
        const fh = await open(top, "r+");
        try {
          await fh.write(data, 0, data.length, offsetBytes);
        } finally {
          await fh.close();
        }
      } else {
        await writeDelta(top, disk.sizeBytes, offsetBytes, data);
      }
      return true;
    });
  }

  // --- point in time --------------------------------------------------------------------------------------

  async #recordPointInTime(vm: VmRecord, uid: number, name: string): Promise<void> {
    const disks: DiskPointInTime[] = [];
    for (const disk of vm.disks) {
      const levels = disk.deltas.length + 1;
      const chunks: string[] = [];
      const whole = createHash("sha256");
      const keep = disk.sizeBytes <= this.#wholeImageMaxBytes;
      const parts: Buffer[] = [];
      for (let off = 0; off < disk.sizeBytes; off += POINT_IN_TIME_CHUNK_BYTES) {
        const len = Math.min(POINT_IN_TIME_CHUNK_BYTES, disk.sizeBytes - off);
        const buf = await this.readDisk(vm, disk, levels, off, len);
        chunks.push(createHash("sha256").update(buf).digest("hex"));
        whole.update(buf);
        if (keep) parts.push(buf);
      }
      const rec: DiskPointInTime = { slot: disk.slot, sizeBytes: disk.sizeBytes, chunkSha256: chunks, imageSha256: whole.digest("hex") };
      if (keep) rec.image = Buffer.concat(parts);
      disks.push(rec);
    }
    this.#records.push({ vmid: vm.vmid, snapshotUid: uid, snapshotName: name, takenAt: this.clock.now(), writesBefore: this.#workloads.get(vm.vmid)?.writes ?? 0, disks });
  }

  pointInTimeRecords(vmid?: number): PointInTimeRecord[] {
    return this.#records.filter((r) => vmid === undefined || r.vmid === vmid);
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
    if (record) await this.#recordPointInTime(vm, uid, name);
    const dir = this.vmDir(vm);
    const snap: SnapshotRecord = {
      uid,
      name,
      description,
      createdAtMs: this.clock.now().getTime(),
      state: vm.powerState === "poweredOn" ? "powered on" : vm.powerState === "suspended" ? "suspended" : "powered off",
      frozen: {},
    };
    const base = vm.vmxFile.replace(/\.vmx$/u, "");
    for (const disk of vm.disks) {
      const parent = this.currentDescriptor(disk);
      snap.frozen[disk.slot] = parent;
      const stem = disk.baseFile.replace(/\.vmdk$/u, "");
      let n = 1;
      const existing = new Set(await readdir(dir));
      while (existing.has(`${stem}-${String(n).padStart(6, "0")}.vmdk`)) n++;
      const descriptor = `${stem}-${String(n).padStart(6, "0")}.vmdk`;
      const extent = join(dir, this.deltaExtentOf(vm, descriptor));
      const parentCid = parent === disk.baseFile ? disk.cid : (parseDescriptor(await readFile(join(dir, parent), "utf8")).cid);
      const running = vm.powerState === "poweredOn";
      if (running) {
        await this.locks.lock(extent);
        await createDeltaExtent(extent + ".new", disk.sizeBytes);
        await rename(extent + ".new", this.locks.privatePath(extent));
      } else {
        await createDeltaExtent(extent, disk.sizeBytes);
      }
      await writeFile(
        join(dir, descriptor),
        renderDeltaDescriptor({
          cid: hex(4),
          parentCid,
          parentFile: parent,
          sizeBytes: disk.sizeBytes,
          extentFile: this.deltaExtentOf(vm, descriptor),
          seSparse: this.seSparse(vm),
          longContentId: hex(16),
          ...(vm.cbt ? { ctkFile: ctkFileOf(descriptor) } : {}),
        }),
      );
      if (vm.cbt) await this.#writeCtk(join(dir, ctkFileOf(descriptor)), disk.sizeBytes);
      const oldTop = this.topExtent(vm, disk);
      disk.deltas.push(descriptor);
      if (running) await this.locks.unlock(oldTop);
    }
    await writeFile(join(dir, `${base}-Snapshot${uid}.vmsn`), `snapshot ${uid} of ${vm.name}\n`);
    vm.snapshots.push(snap);
    vm.lastSnapshotUid = uid;
    await this.writeVmx(vm);
    await this.writeVmsd(vm);
    await this.#persist();
    return snap;
  }

  createSnapshot(vmid: number, name: string, description: string): Promise<SnapshotRecord> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      const fault = this.faults.snapshotCreate;
      if (fault !== null) {
        throw new HostOperationError("vim.fault.GenericVmConfigFault", fault.message ?? "An error occurred while taking a snapshot: Failed to lock the file.");
      }
      return this.#takeSnapshot(vm, name, description, true);
    });
  }

  /** Merges delta number `index` (1-based level) into its parent and drops it from the chain. */
  async #mergeDelta(vm: VmRecord, disk: DiskRecord, index: number): Promise<void> {
    const extents = this.extentPaths(vm, disk);
    const child = extents[index];
    const parent = extents[index - 1];
    if (child === undefined || parent === undefined) return;
    const running = vm.powerState === "poweredOn";
    const isTop = index === extents.length - 1;
    const childData = await this.locks.dataPath(child);
    const parentData = await this.locks.dataPath(parent);
    for (const [off, len] of await allocatedRuns(childData, disk.sizeBytes)) {
      for (let o = off; o < off + len; o += MIB) {
        const l = Math.min(MIB, off + len - o);
        const buf = Buffer.alloc(l);
        await overlayDelta(childData, disk.sizeBytes, o, buf);
        if (index - 1 === 0) {
          const fh = await open(parentData, "r+");
          try {
            await fh.write(buf, 0, l, o);
          } finally {
            await fh.close();
          }
        } else {
          await writeDelta(parentData, disk.sizeBytes, o, buf);
        }
      }
    }
    const descriptor = disk.deltas[index - 1] ?? "";
    const dir = this.vmDir(vm);
    await this.locks.remove(child);
    await rm(join(dir, descriptor), { force: true });
    await rm(join(dir, ctkFileOf(descriptor)), { force: true });
    disk.deltas.splice(index - 1, 1);
    // The parent now takes the writes if the merged delta was the write target.
    if (isTop && running) await this.locks.lock(parent);
    // A delta that named the merged one as parent now names the grandparent.
    const next = disk.deltas[index - 1];
    if (next !== undefined) {
      const parentDescriptor = index - 2 < 0 ? disk.baseFile : (disk.deltas[index - 2] ?? disk.baseFile);
      const text = await readFile(join(dir, next), "utf8");
      await writeFile(join(dir, next), text.replace(/parentFileNameHint=".*"/u, `parentFileNameHint="${parentDescriptor}"`));
    }
  }

  /** Removes one snapshot: the delta its child state lives in is consolidated into the disk it froze. */
  removeSnapshot(vmid: number, uid: number): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      const pos = vm.snapshots.findIndex((s) => s.uid === uid);
      if (pos < 0) throw new HostOperationError("vim.fault.NotFound", `The object or item referred to could not be found.`);
      this.#checkConsolidationFault();
      for (const disk of vm.disks) await this.#mergeDelta(vm, disk, pos + 1);
      const next = vm.snapshots[pos + 1];
      const removed = vm.snapshots[pos];
      if (next !== undefined && removed !== undefined) next.frozen = { ...removed.frozen };
      vm.snapshots.splice(pos, 1);
      await rm(join(this.vmDir(vm), `${vm.vmxFile.replace(/\.vmx$/u, "")}-Snapshot${uid}.vmsn`), { force: true });
      await this.writeVmx(vm);
      await this.writeVmsd(vm);
      await this.#persist();
    });
  }

  removeAllSnapshots(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      if (vm.snapshots.length === 0) return;
      this.#checkConsolidationFault();
      for (const disk of vm.disks) while (disk.deltas.length > 0) await this.#mergeDelta(vm, disk, disk.deltas.length);
      for (const s of vm.snapshots) await rm(join(this.vmDir(vm), `${vm.vmxFile.replace(/\.vmx$/u, "")}-Snapshot${s.uid}.vmsn`), { force: true });
      vm.snapshots = [];
      await this.writeVmx(vm);
      await this.writeVmsd(vm);
      await this.#persist();
    });
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
    const dir = this.vmDir(vm);
    const lck = join(dir, `${vm.vmxFile}.lck`);
    if (state === "poweredOn") {
      for (const disk of vm.disks) await this.locks.lock(this.topExtent(vm, disk));
      await this.locks.lock(lck);
      vm.bootTimeMs = this.clock.now().getTime();
    } else {
      for (const disk of vm.disks) await this.locks.unlock(this.topExtent(vm, disk));
      await this.locks.remove(lck);
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
        instanceUuid: `52${hex(3)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`,
        disks: [],
        snapshots: [],
        lastSnapshotUid: 0,
        workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 },
      };
      await this.#readVmx(vm);
      this.#vms.set(vm.vmid, vm);
      this.#makeWorkload(vm);
      await this.#persist();
      return vm.vmid;
    });
  }

  /** Re-reads the .vmx (name, guest, memory, CPUs, CBT, disks); keeps snapshots and power state. */
  async #readVmx(vm: VmRecord): Promise<void> {
    const dir = this.vmDir(vm);
    const vmx = parseVmx(await readFile(join(dir, vm.vmxFile), "utf8"));
    vm.name = vmx.get("displayname") ?? vm.vmxFile.replace(/\.vmx$/u, "");
    const guest = vmx.get("guestos");
    if (guest !== undefined) vm.guestId = `${guest.replace(/-/gu, "_")}Guest`.replace(/_64Guest$/u, "64Guest").replace(/^other64Guest$/u, "otherGuest64");
    vm.annotation = vmx.get("annotation") ?? "";
    vm.memoryMB = Number(vmx.get("memsize") ?? vm.memoryMB);
    vm.numCpus = Number(vmx.get("numvcpus") ?? "1");
    vm.hardwareVersion = Number(vmx.get("virtualhw.version") ?? vm.hardwareVersion);
    vm.cbt = vmx.get("ctkenabled")?.toLowerCase() === "true";
    const disks: DiskRecord[] = [];
    for (const d of vmxDisks(vmx)) {
      const chain: string[] = [];
      let file = d.fileName;
      for (let guard = 0; guard < 64; guard++) {
        chain.unshift(file);
        const info = parseDescriptor(await readFile(join(dir, file), "utf8"));
        if (info.parentFileNameHint === undefined) break;
        file = info.parentFileNameHint;
      }
      const baseFile = chain[0] ?? d.fileName;
      const info = parseDescriptor(await readFile(join(dir, baseFile), "utf8"));
      const old = vm.disks.find((x) => x.slot === d.slot);
      disks.push({
        slot: d.slot,
        baseFile,
        sizeBytes: info.sectors * 512,
        provisioning: info.thin ? "thin" : "zeroedthick",
        uuid: info.uuid ?? vmxUuid("6000c29"),
        cid: info.cid,
        adapterType: info.adapterType ?? "lsilogic",
        deltas: chain.slice(1),
        hotSet: old?.hotSet ?? [{ offsetBytes: 0, lengthBytes: Math.min(info.sectors * 512, 16 * MIB) }],
      });
    }
    vm.disks = disks;
  }

  reloadVm(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#requireVm(vmid);
      await this.#readVmx(vm);
      await this.#persist();
    });
  }

  unregisterVm(vmid: number): Promise<void> {
    return this.exclusive(async () => {
      const vm = this.#vms.get(vmid);
      if (vm === undefined) throw new HostOperationError("vim.fault.NotFound", `Unable to find a VM corresponding to "${vmid}"`);
      if (vm.powerState !== "poweredOff") {
        throw new HostOperationError("vim.fault.InvalidPowerState", `The attempted operation cannot be performed in the current state (${vm.powerState === "poweredOn" ? "Powered on" : "Suspended"}).`, {
          requestedState: "poweredOff",
          existingState: vm.powerState,
        });
      }
      await this.#workloads.get(vmid)?.stop();
      this.#workloads.delete(vmid);
      this.#vms.delete(vmid);
      await this.#persist();
    });
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
    const dir = this.vmDir(vm);
    return {
      vmid: vm.vmid,
      name: vm.name,
      powerState: vm.powerState,
      vmxPath: join(dir, vm.vmxFile),
      vmxSandboxPath: this.vmxSandboxPath(vm),
      disks: vm.disks.map((d) => {
        const extents = this.extentPaths(vm, d);
        return {
          slot: d.slot,
          sizeBytes: d.sizeBytes,
          provisioning: d.provisioning,
          extentPaths: extents,
          extentDataPaths: extents.map((e) => (this.#lockedSync(e) ? this.locks.privatePath(e) : e)),
          descriptorPaths: [d.baseFile, ...d.deltas].map((f) => join(dir, f)),
        };
      }),
      snapshots: vm.snapshots.map((s) => ({ uid: s.uid, name: s.name, description: s.description, createdAt: new Date(s.createdAtMs) })),
    };
  }

  #lockedSync(realPath: string): boolean {
    // Locked extents are exactly the top extents of running VMs.
    for (const vm of this.#vms.values()) {
      if (vm.powerState !== "poweredOn") continue;
      for (const d of vm.disks) if (this.topExtent(vm, d) === realPath) return true;
    }
    return false;
  }

  /** Bytes allocated on a datastore (files in it and their locked counterparts). */
  async usedBytes(ds: DatastoreConfig): Promise<number> {
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) total += (await stat(p)).blocks * 512;
      }
    };
    await walk(this.paths.datastoreDir(ds));
    await walk(this.locks.privatePath(this.paths.datastoreDir(ds)));
    return total;
  }

  async freeBytes(ds: DatastoreConfig): Promise<number> {
    if (this.faults.isDatastoreFull(ds.name)) return 0;
    return Math.max(0, ds.capacityBytes - (await this.usedBytes(ds)));
  }
}
