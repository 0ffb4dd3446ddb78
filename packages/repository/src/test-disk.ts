/**
 * Test support: deterministic disk images with data, zero runs and repeated blocks, and small helpers to
 * back up and read them through the real writer. Not part of the package's API.
 */
import { createHash } from "node:crypto";
import type { PointId } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { DiskReader } from "./disk-reader.js";
import { PointWriter } from "./point-writer.js";
import type { Repository } from "./repository.js";

/** A pseudo-random image: mostly incompressible data, a zero run, a repeated block, a text-like run. */
export function makeImage(sizeBytes: number, seed: number): Buffer {
  const image = Buffer.alloc(sizeBytes);
  let state = seed >>> 0 || 1;
  for (let offset = 0; offset < sizeBytes; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    if (offset + 4 <= sizeBytes) image.writeUInt32LE(state, offset);
    else image.fill(state & 0xff, offset);
  }
  const quarter = Math.floor(sizeBytes / 4);
  image.fill(0, quarter, 2 * quarter);
  image.fill("esxbackup text-like run ", 2 * quarter, 2 * quarter + Math.floor(quarter / 2));
  return image;
}

export const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

export async function backUpImage(
  repository: Repository,
  image: Buffer,
  options: { previousPointId?: PointId; changed?: { offsetBytes: number; lengthBytes: number }[]; key?: string } = {},
): Promise<{ pointId: PointId; chunksRead: number; writer: PointWriter }> {
  const writer = await PointWriter.begin(repository, {
    vm: { name: "vm one", id: "1" },
    host: "test-host",
    ...(options.previousPointId === undefined ? {} : { previousPointId: options.previousPointId }),
  });
  const disk = await writer.openDisk({ key: options.key ?? "scsi0:0", name: "vm one.vmdk", sizeBytes: image.byteLength });
  const toRead = disk.chunksToRead(options.changed);
  await Promise.all(
    toRead.map((chunk) => {
      const start = chunk * disk.chunkSizeBytes;
      return disk.writeChunk(chunk, image.subarray(start, start + disk.chunkLength(chunk)));
    }),
  );
  const point = await writer.commit();
  return { pointId: point.pointId, chunksRead: toRead.length, writer };
}

export async function readWholeDisk(repository: Repository, pointId: PointId, diskIndex = 0): Promise<Buffer> {
  const reader = await DiskReader.open(repository, pointId, diskIndex);
  const parts: Buffer[] = [];
  for await (const part of reader.stream()) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** `store` with some of its methods replaced, to stage a crash or a race at one exact call. */
export function storeWith(store: BlobStore, overrides: Partial<BlobStore>): BlobStore {
  return {
    read: (key) => store.read(key),
    write: (key, data) => store.write(key, data),
    batch: () => store.batch(),
    createExclusive: (key, data) => store.createExclusive(key, data),
    stat: (key) => store.stat(key),
    touch: (key, at) => store.touch(key, at),
    list: (folder) => store.list(folder),
    remove: (key) => store.remove(key),
    locate: (key) => store.locate(key),
    ...overrides,
  };
}
