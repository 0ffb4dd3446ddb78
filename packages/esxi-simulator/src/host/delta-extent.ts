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
import { open, type FileHandle } from "node:fs/promises";

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

async function readBitmap(fh: FileHandle, capacityBytes: number): Promise<Buffer> {
  const { bitmapBytes } = layout(capacityBytes);
  const bitmap = Buffer.alloc(bitmapBytes);
  await fh.read(bitmap, 0, bitmapBytes, 4096);
  return bitmap;
}

function isSet(bitmap: Buffer, grain: number): boolean {
  return ((bitmap[grain >> 3] ?? 0) & (1 << (grain & 7))) !== 0;
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
  const { dataOffset } = layout(capacityBytes);
  const fh = await open(path, "r");
  try {
    const bitmap = await readBitmap(fh, capacityBytes);
    const first = Math.floor(offsetBytes / GRAIN_BYTES);
    const end = Math.ceil((offsetBytes + into.length) / GRAIN_BYTES);
    let g = first;
    while (g < end) {
      if (!isSet(bitmap, g)) {
        g++;
        continue;
      }
      let run = g;
      while (run < end && isSet(bitmap, run)) run++;
      const from = Math.max(offsetBytes, g * GRAIN_BYTES);
      const to = Math.min(offsetBytes + into.length, run * GRAIN_BYTES);
      await fh.read(into, from - offsetBytes, to - from, dataOffset + from);
      g = run;
    }
  } finally {
    await fh.close();
  }
}

/** The allocated grain runs, as [offsetBytes, lengthBytes] pairs. */
export async function allocatedRuns(path: string, capacityBytes: number): Promise<[number, number][]> {
  const fh = await open(path, "r");
  try {
    const bitmap = await readBitmap(fh, capacityBytes);
    const grains = Math.ceil(capacityBytes / GRAIN_BYTES);
    const runs: [number, number][] = [];
    let g = 0;
    while (g < grains) {
      if (!isSet(bitmap, g)) {
        g++;
        continue;
      }
      let run = g;
      while (run < grains && isSet(bitmap, run)) run++;
      runs.push([g * GRAIN_BYTES, (run - g) * GRAIN_BYTES]);
      g = run;
    }
    return runs;
  } finally {
    await fh.close();
  }
}

/** Bytes that the delta's allocated grains occupy (for datastore space accounting). */
export async function deltaAllocatedBytes(path: string, capacityBytes: number): Promise<number> {
  return (await allocatedRuns(path, capacityBytes)).reduce((n, [, l]) => n + l, 0);
}
