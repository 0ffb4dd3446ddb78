/**
 * The disk side of snapshots: adding a delta on top of a disk's chain (snapshot.create) and merging a delta
 * into its parent (snapshot.remove / removeall, i.e. consolidation). Both keep the running VM's lock on its
 * write target: the new delta is created locked before the old top is released, and a merged top's parent
 * is locked again. Callers serialize these through the host's queue and persist the inventory afterwards.
 */
import { open, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeCtkFile } from "./ctk-file.js";
import { allocatedRuns, createDeltaExtent, overlayDelta, writeDelta } from "./delta-extent.js";
import { ctkFileOf, nextDeltaDescriptor } from "./disk-file-names.js";
import type { FileLocks } from "./file-lock.js";
import type { VmLayout } from "./vm-layout.js";
import { currentDescriptor, type DiskRecord, type VmRecord } from "./vm-record.js";
import { randomHex } from "./vm-identity.js";
import { parseDescriptor, renderDeltaDescriptor } from "./vmdk-descriptor.js";

const MIB = 1024 * 1024;

export class SnapshotDeltas {
  constructor(
    private readonly layout: VmLayout,
    private readonly locks: FileLocks,
  ) {}

  /** Adds a delta on top of `disk` and makes it the write target; returns the descriptor it froze. */
  async add(vm: VmRecord, disk: DiskRecord): Promise<string> {
    const dir = this.layout.vmDir(vm);
    const parent = currentDescriptor(disk);
    const descriptor = nextDeltaDescriptor(disk.baseFile, new Set(await readdir(dir)));
    const extent = join(dir, this.layout.deltaExtentOf(vm, disk, descriptor));
    const parentCid = await cidOf(dir, disk, parent);
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
        cid: randomHex(4),
        parentCid,
        parentFile: parent,
        sizeBytes: disk.sizeBytes,
        extentFile: this.layout.deltaExtentOf(vm, disk, descriptor),
        seSparse: this.layout.seSparse(vm, disk),
        longContentId: randomHex(16),
        ...(vm.cbt ? { ctkFile: ctkFileOf(descriptor) } : {}),
      }),
    );
    if (vm.cbt) await writeCtkFile(join(dir, ctkFileOf(descriptor)), disk.sizeBytes);
    const oldTop = this.layout.topExtent(vm, disk);
    disk.levelSeqs = [...(disk.levelSeqs ?? []), disk.changeSeq ?? 0];
    disk.deltas.push(descriptor);
    if (running) await this.locks.unlock(oldTop);
    return parent;
  }

  /** Merges delta number `index` (1-based level) into its parent and drops it from the chain. */
  async merge(vm: VmRecord, disk: DiskRecord, index: number): Promise<void> {
    const extents = this.layout.extentPaths(vm, disk);
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
    const dir = this.layout.vmDir(vm);
    // Out of the chain before its files go: a reader between two awaits sees the merged parent alone.
    disk.deltas.splice(index - 1, 1);
    // The merged level takes the child's freeze point (or, merged into the top, the live count).
    disk.levelSeqs?.splice(index - 1, 1);
    await this.locks.remove(child);
    await rm(join(dir, descriptor), { force: true });
    await rm(join(dir, ctkFileOf(descriptor)), { force: true });
    // The parent now takes the writes if the merged delta was the write target.
    if (isTop && running) await this.locks.lock(parent);
    // A delta that named the merged one as parent now names the grandparent, by file and by CID: a
    // parentCID that differs from the parent's CID is a broken chain (esxi-facts 2.3).
    const next = disk.deltas[index - 1];
    if (next !== undefined) {
      const parentDescriptor = index - 2 < 0 ? disk.baseFile : (disk.deltas[index - 2] ?? disk.baseFile);
      const parentCid = await cidOf(dir, disk, parentDescriptor);
      const text = await readFile(join(dir, next), "utf8");
      await writeFile(
        join(dir, next),
        text.replace(/^parentFileNameHint=".*"$/mu, `parentFileNameHint="${parentDescriptor}"`).replace(/^parentCID=\w+$/mu, `parentCID=${parentCid}`),
      );
    }
  }
}

/** The CID of one descriptor of the disk's chain: the base's is kept in the disk's record, a delta's in its file. */
async function cidOf(dir: string, disk: DiskRecord, descriptor: string): Promise<string> {
  return descriptor === disk.baseFile ? disk.cid : parseDescriptor(await readFile(join(dir, descriptor), "utf8")).cid;
}
