/**
 * Point-in-time records of snapshots, kept from an undo log instead of a copy: taking a snapshot costs no
 * read at all (a real host takes seconds whatever the disk's size, and the transporter's benchmarks time
 * incrementals in seconds). From then on, the first guest write to each 4 KiB grain saves the grain's old
 * bytes into the record's undo file (sparse, bytes at their virtual offset) before the write lands. What
 * the disk held at the snapshot is then the disk as the VM sees it now (consolidation never changes that)
 * with the undo file's grains laid over it; hashes and images are computed the first time a test reads
 * `disks`, synchronously, so the view is one consistent instant even while queued operations are between
 * awaits.
 *
 * Only guest writes (`HostState.writeBlock`) are logged. Writes through the shell or vmkfstools into a disk
 * that has a record are not; consolidation, and the snapshot's own deltas, change nothing the VM sees.
 * Each VM keeps its newest `keepPerVm` records; older ones are dropped with their undo files.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { GRAIN_BYTES } from "./delta-extent.js";
import type { DiskChainIo } from "./disk-chain-io.js";
import { POINT_IN_TIME_CHUNK_BYTES, type DiskPointInTime, type PointInTimeRecord } from "./point-in-time.js";
import type { VmLayout } from "./vm-layout.js";
import type { DiskRecord, VmRecord } from "./vm-record.js";

interface UndoLog {
  slot: string;
  sizeBytes: number;
  path: string;
  /** One bit per grain: set once the grain's snapshot-time bytes are in the undo file. */
  saved: Uint8Array;
  /** The disk's current extents (base first), as the VM sees them now. */
  currentExtents: () => string[];
}

function grainSaved(log: UndoLog, g: number): boolean {
  return ((log.saved[g >> 3] ?? 0) & (1 << (g & 7))) !== 0;
}

class LazyPointInTimeRecord implements PointInTimeRecord {
  #disks: DiskPointInTime[] | undefined;

  constructor(
    readonly vmid: number,
    readonly snapshotUid: number,
    readonly snapshotName: string,
    readonly takenAt: Date,
    readonly writesBefore: number,
    readonly logs: UndoLog[],
    private readonly io: DiskChainIo,
    private readonly wholeImageMaxBytes: number,
  ) {}

  get disks(): DiskPointInTime[] {
    this.#disks ??= this.logs.map((log) => this.#materialise(log));
    return this.#disks;
  }

  #materialise(log: UndoLog): DiskPointInTime {
    const extents = log.currentExtents();
    const keep = log.sizeBytes <= this.wholeImageMaxBytes;
    const chunks: string[] = [];
    const whole = createHash("sha256");
    const parts: Buffer[] = [];
    const fd = openSync(log.path, "r");
    try {
      for (let off = 0; off < log.sizeBytes; off += POINT_IN_TIME_CHUNK_BYTES) {
        const len = Math.min(POINT_IN_TIME_CHUNK_BYTES, log.sizeBytes - off);
        const buf = this.io.readSync(extents, log.sizeBytes, off, len);
        for (let g = off / GRAIN_BYTES; g < (off + len) / GRAIN_BYTES; g++) {
          if (grainSaved(log, g)) readSync(fd, buf, g * GRAIN_BYTES - off, GRAIN_BYTES, g * GRAIN_BYTES);
        }
        chunks.push(createHash("sha256").update(buf).digest("hex"));
        whole.update(buf);
        if (keep) parts.push(buf);
      }
    } finally {
      closeSync(fd);
    }
    const rec: DiskPointInTime = { slot: log.slot, sizeBytes: log.sizeBytes, chunkSha256: chunks, imageSha256: whole.digest("hex") };
    if (keep) rec.image = Buffer.concat(parts);
    return rec;
  }
}

export class PointInTimeRecorder {
  readonly #records: LazyPointInTimeRecord[] = [];

  constructor(
    private readonly io: DiskChainIo,
    private readonly layout: VmLayout,
    /** A private directory for the undo files (outside the sandbox); emptied on open. */
    private readonly dir: string,
    private readonly wholeImageMaxBytes: number,
    private readonly keepPerVm: number,
  ) {}

  async open(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }

  records(vmid?: number): PointInTimeRecord[] {
    return this.#records.filter((r) => vmid === undefined || r.vmid === vmid);
  }

  /** Starts a record at this instant (inside the host's queue, before the snapshot's deltas are added). */
  async begin(vm: VmRecord, snapshotUid: number, snapshotName: string, takenAt: Date, writesBefore: number): Promise<void> {
    const logs: UndoLog[] = [];
    for (const disk of vm.disks) {
      const path = join(this.dir, `${vm.vmid}-${snapshotUid}-${disk.slot.replace(":", "_")}-${this.#records.length}`);
      await (await open(path, "w")).close();
      logs.push({ slot: disk.slot, sizeBytes: disk.sizeBytes, path, saved: new Uint8Array(Math.ceil(disk.sizeBytes / GRAIN_BYTES / 8)), currentExtents: () => this.#extentsOf(vm, disk.slot) });
    }
    this.#records.push(new LazyPointInTimeRecord(vm.vmid, snapshotUid, snapshotName, takenAt, writesBefore, logs, this.io, this.wholeImageMaxBytes));
    const mine = this.#records.filter((r) => r.vmid === vm.vmid);
    for (const old of mine.slice(0, Math.max(0, mine.length - this.keepPerVm))) await this.#drop(old);
  }

  /** Saves the snapshot-time bytes of [offset, offset+length) for every record that lacks them; call before the write. */
  async beforeWrite(vm: VmRecord, disk: DiskRecord, offsetBytes: number, length: number): Promise<void> {
    const first = Math.floor(offsetBytes / GRAIN_BYTES);
    const end = Math.ceil((offsetBytes + length) / GRAIN_BYTES);
    let current: Buffer | undefined;
    for (const record of this.#records) {
      if (record.vmid !== vm.vmid) continue;
      const log = record.logs.find((l) => l.slot === disk.slot);
      if (log === undefined || end * GRAIN_BYTES > log.sizeBytes) continue;
      const missing: number[] = [];
      for (let g = first; g < end; g++) if (!grainSaved(log, g)) missing.push(g);
      if (missing.length === 0) continue;
      current ??= await this.io.read(this.layout.extentPaths(vm, disk), disk.sizeBytes, first * GRAIN_BYTES, (end - first) * GRAIN_BYTES);
      const fh = await open(log.path, "r+");
      try {
        for (const g of missing) await fh.write(current, (g - first) * GRAIN_BYTES, GRAIN_BYTES, g * GRAIN_BYTES);
      } finally {
        await fh.close();
      }
      for (const g of missing) log.saved[g >> 3] = (log.saved[g >> 3] ?? 0) | (1 << (g & 7));
    }
  }

  /** Computes a VM's records now (its files are about to go) and drops their undo files. */
  async settle(vmid: number): Promise<void> {
    for (const r of this.#records) {
      if (r.vmid !== vmid) continue;
      void r.disks;
      for (const log of r.logs) await rm(log.path, { force: true });
    }
  }

  #extentsOf(vm: VmRecord, slot: string): string[] {
    const disk = vm.disks.find((d) => d.slot === slot);
    if (disk === undefined) throw new Error(`the disk at ${slot} of VM ${vm.vmid} is gone; its point-in-time record cannot be read`);
    return this.layout.extentPaths(vm, disk);
  }

  async #drop(record: LazyPointInTimeRecord): Promise<void> {
    this.#records.splice(this.#records.indexOf(record), 1);
    for (const log of record.logs) await rm(log.path, { force: true });
  }
}
