/**
 * The data file of a snapshot delta (`-00000N-sesparse.vmdk` / `-00000N-delta.vmdk`). Its internal format is
 * the simulator's own, NOT seSparse or COWD (qemu-img and xen-orchestra will not parse it; backup code must
 * never read a delta's bytes, only the frozen base):
 *
 *   0      4096 B header: "ESXSIM-DELTA\0\0\0\0" (16 B), u32 LE version = 1, u32 LE grain size = 4096,
 *          u64 LE capacity in bytes, u64 LE bitmap offset (4096), u64 LE data offset
 *   4096   allocation bitmap, one bit per 4 KiB grain (bit g%8 of byte g/8), padded to 4096 B
 *   data   the grain for virtual offset X lives at data offset + X (a sparse file: unwritten grains are holes)
 *
 * A grain is allocated once written, even with zeros, so a delta shadows its parent exactly like seSparse.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

export const GRAIN_BYTES = 4096;
const MAGIC = Buffer.from("ESXSIM-DELTA\0\0\0\0", "latin1");

function layout(capacityBytes: number): { bitmapBytes: number; dataOffset: number } {
  const grains = Math.ceil(capacityBytes / GRAIN_BYTES);
  const bitmapBytes = Math.ceil(Math.ceil(grains / 8) / 4096) * 4096;
  return { bitmapBytes, dataOffset: 4096 + bitmapBytes };
}

export async function createDeltaExtent(path: string, capacityBytes: number): Promise<void> {
  const header = Buffer.alloc(4096);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(1, 16);
  header.writeUInt32LE(GRAIN_BYTES, 20);
  header.writeBigUInt64LE(BigInt(capacityBytes), 24);
  header.writeBigUInt64LE(4096n, 32);
  const { bitmapBytes, dataOffset } = layout(capacityBytes);
  header.writeBigUInt64LE(BigInt(dataOffset), 40);
  const fh = await open(path, "wx");
  try {
    await fh.write(header, 0, header.length, 0);
    await fh.write(Buffer.alloc(bitmapBytes), 0, bitmapBytes, 4096);
  } finally {
    await fh.close();
  }
}

/** Where the bitmap bytes covering grains [first, end) are in the file; byte 0 holds grain `first & ~7`. */
function bitmapSlice(first: number, end: number): { position: number; bytes: Buffer } {
  return { position: 4096 + (first >> 3), bytes: Buffer.alloc(Math.max(0, ((end + 7) >> 3) - (first >> 3))) };
}

/** Allocated grain runs within [first, end), as [firstGrain, endGrain) pairs, from a bitmap slice. */
function grainRuns(bitmap: Buffer, first: number, end: number): [number, number][] {
  const base = (first >> 3) << 3;
  const set = (g: number): boolean => ((bitmap[(g - base) >> 3] ?? 0) & (1 << (g & 7))) !== 0;
  const runs: [number, number][] = [];
  let g = first;
  while (g < end) {
    // Whole empty bitmap bytes are skipped at once (large disks have long holes).
    if ((g & 7) === 0 && bitmap[(g - base) >> 3] === 0) {
      g += 8;
      continue;
    }
    if (!set(g)) {
      g++;
      continue;
    }
    let run = g;
    while (run < end && set(run)) run++;
    runs.push([g, run]);
    g = run;
  }
  return runs;
}

function rangeGrains(offsetBytes: number, length: number): [number, number] {
  return [Math.floor(offsetBytes / GRAIN_BYTES), Math.ceil((offsetBytes + length) / GRAIN_BYTES)];
}

/** Writes whole grains (offset and length multiples of 4096). */
export async function writeDelta(path: string, capacityBytes: number, offsetBytes: number, data: Buffer): Promise<void> {
  const { dataOffset } = layout(capacityBytes);
  const fh = await open(path, "r+");
  try {
    await fh.write(data, 0, data.length, dataOffset + offsetBytes);
    const first = offsetBytes / GRAIN_BYTES;
    const last = (offsetBytes + data.length) / GRAIN_BYTES - 1;
    const b0 = first >> 3;
    const b1 = last >> 3;
    const bytes = Buffer.alloc(b1 - b0 + 1);
    await fh.read(bytes, 0, bytes.length, 4096 + b0);
    for (let g = first; g <= last; g++) bytes[(g >> 3) - b0] = (bytes[(g >> 3) - b0] ?? 0) | (1 << (g & 7));
    await fh.write(bytes, 0, bytes.length, 4096 + b0);
  } finally {
    await fh.close();
  }
}

/** Copies the delta's allocated grains in [offset, offset+into.length) over `into`. */
export async function overlayDelta(path: string, capacityBytes: number, offsetBytes: number, into: Buffer): Promise<void> {
  const fh = await open(path, "r");
  try {
    const { position, bytes } = bitmapSlice(...rangeGrains(offsetBytes, into.length));
    if (bytes.length > 0) await fh.read(bytes, 0, bytes.length, position);
    for (const [from, to] of overlayPieces(bytes, offsetBytes, into.length)) {
      await fh.read(into, from - offsetBytes, to - from, layout(capacityBytes).dataOffset + from);
    }
  } finally {
    await fh.close();
  }
}

/** The same as overlayDelta, synchronously (point-in-time records are read on demand, see point-in-time-recorder.ts). */
export function overlayDeltaSync(path: string, capacityBytes: number, offsetBytes: number, into: Buffer): void {
  const fd = openSync(path, "r");
  try {
    const { position, bytes } = bitmapSlice(...rangeGrains(offsetBytes, into.length));
    if (bytes.length > 0) readSync(fd, bytes, 0, bytes.length, position);
    for (const [from, to] of overlayPieces(bytes, offsetBytes, into.length)) {
      readSync(fd, into, from - offsetBytes, to - from, layout(capacityBytes).dataOffset + from);
    }
  } finally {
    closeSync(fd);
  }
}

/** Byte ranges [from, to) of [offset, offset+length) that the delta's bitmap slice marks allocated. */
function overlayPieces(bitmap: Buffer, offsetBytes: number, length: number): [number, number][] {
  const [first, end] = rangeGrains(offsetBytes, length);
  return grainRuns(bitmap, first, end).map(([g, run]) => [Math.max(offsetBytes, g * GRAIN_BYTES), Math.min(offsetBytes + length, run * GRAIN_BYTES)]);
}

/** The allocated grain runs, as [offsetBytes, lengthBytes] pairs. */
export async function allocatedRuns(path: string, capacityBytes: number): Promise<[number, number][]> {
  const fh = await open(path, "r");
  try {
    const grains = Math.ceil(capacityBytes / GRAIN_BYTES);
    const bitmap = Buffer.alloc(layout(capacityBytes).bitmapBytes);
    await fh.read(bitmap, 0, bitmap.length, 4096);
    return grainRuns(bitmap, 0, grains).map(([g, run]) => [g * GRAIN_BYTES, (run - g) * GRAIN_BYTES]);
  } finally {
    await fh.close();
  }
}

/** Bytes that the delta's allocated grains occupy (for datastore space accounting). */
export async function deltaAllocatedBytes(path: string, capacityBytes: number): Promise<number> {
  return (await allocatedRuns(path, capacityBytes)).reduce((n, [, l]) => n + l, 0);
}

/** Empties a delta: every grain unallocated again, its data dropped (snapshot.revert). */
export async function clearDelta(path: string, capacityBytes: number): Promise<void> {
  const { bitmapBytes, dataOffset } = layout(capacityBytes);
  const fh = await open(path, "r+");
  try {
    await fh.write(Buffer.alloc(bitmapBytes), 0, bitmapBytes, 4096);
    await fh.truncate(dataOffset);
  } finally {
    await fh.close();
  }
}
