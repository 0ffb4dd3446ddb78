/**
 * Reading a disk through its chain and writing into its top extent, wherever the extents' bytes are
 * (a locked extent's bytes live in the lock directory, see file-lock.ts). The base is a plain flat file;
 * deltas are the simulator's own sparse format (delta-extent.ts), overlaid in order.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { overlayDelta, overlayDeltaSync, writeDelta } from "./delta-extent.js";
import type { FileLocks } from "./file-lock.js";

export class DiskChainIo {
  constructor(private readonly locks: FileLocks) {}

  /** `length` bytes at `offsetBytes` as seen through `extents` (base first). */
  async read(extents: readonly string[], sizeBytes: number, offsetBytes: number, length: number): Promise<Buffer> {
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
    for (const d of deltas) await overlayDelta(await this.locks.dataPath(d), sizeBytes, offsetBytes, out);
    return out;
  }

  /** The same as read, synchronously: one consistent view even while queued operations are between awaits. */
  readSync(extents: readonly string[], sizeBytes: number, offsetBytes: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    const [base, ...deltas] = extents;
    if (base !== undefined) {
      const fd = openSync(this.locks.dataPathSync(base), "r");
      try {
        readSync(fd, out, 0, length, offsetBytes);
      } finally {
        closeSync(fd);
      }
    }
    for (const d of deltas) overlayDeltaSync(this.locks.dataPathSync(d), sizeBytes, offsetBytes, out);
    return out;
  }

  /** Writes `data` at `offsetBytes` into `extent`: a flat file when `isBase`, else a delta. */
  async write(extent: string, isBase: boolean, sizeBytes: number, offsetBytes: number, data: Buffer): Promise<void> {
    const target = await this.locks.dataPath(extent);
    if (!isBase) {
      await writeDelta(target, sizeBytes, offsetBytes, data);
      return;
    }
    const fh = await open(target, "r+");
    try {
      await fh.write(data, 0, data.length, offsetBytes);
    } finally {
      await fh.close();
    }
  }
}
