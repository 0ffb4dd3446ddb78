/**
 * Test support: points recorded with md5 fingerprints of 4 KiB blocks, as a host computing them with
 * `md5sum` would. Not part of the package's API.
 */
import { createHash } from "node:crypto";
import type { PointId } from "@esxbackup/domain";
import { PointWriter } from "./point-writer.js";
import type { Repository } from "./repository.js";

export const TEST_FINGERPRINT_BLOCK = 4096;

export function md5Blocks(image: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < image.byteLength; start += TEST_FINGERPRINT_BLOCK) {
    parts.push(createHash("md5").update(image.subarray(start, start + TEST_FINGERPRINT_BLOCK)).digest());
  }
  return Buffer.concat(parts);
}

/** Backs up `image` as one full disk recording its md5 fingerprints. */
export async function backUpWithFingerprints(repository: Repository, image: Buffer): Promise<PointId> {
  const writer = await PointWriter.begin(repository, { vm: { name: "vm", id: "1" }, host: "h" });
  const disk = await writer.openDisk({ key: "scsi0:0", name: "vm.vmdk", sizeBytes: image.byteLength });
  for (const chunk of disk.chunksToRead()) {
    const start = chunk * disk.chunkSizeBytes;
    await disk.writeChunk(chunk, image.subarray(start, start + disk.chunkLength(chunk)));
  }
  disk.setFingerprints({ algorithm: "md5", blockSizeBytes: TEST_FINGERPRINT_BLOCK, digestLengthBytes: 16 }, md5Blocks(image));
  return (await writer.commit()).pointId;
}
