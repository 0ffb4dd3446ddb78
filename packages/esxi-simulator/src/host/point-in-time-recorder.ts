/**
 * Takes the point-in-time record of a VM's disks: reads each disk through its whole chain (called inside
 * the host's queue, just before the snapshot's deltas are added, so no write can fall in between) and
 * keeps sha256 per 1 MiB chunk, the image sha256, and the whole image for small disks.
 */
import { createHash } from "node:crypto";
import type { DiskChainIo } from "./disk-chain-io.js";
import { POINT_IN_TIME_CHUNK_BYTES, type DiskPointInTime } from "./point-in-time.js";
import type { VmLayout } from "./vm-layout.js";
import type { VmRecord } from "./vm-record.js";

export async function recordDisksPointInTime(io: DiskChainIo, layout: VmLayout, vm: VmRecord, wholeImageMaxBytes: number): Promise<DiskPointInTime[]> {
  const disks: DiskPointInTime[] = [];
  for (const disk of vm.disks) {
    const extents = layout.extentPaths(vm, disk);
    const chunks: string[] = [];
    const whole = createHash("sha256");
    const keep = disk.sizeBytes <= wholeImageMaxBytes;
    const parts: Buffer[] = [];
    for (let off = 0; off < disk.sizeBytes; off += POINT_IN_TIME_CHUNK_BYTES) {
      const len = Math.min(POINT_IN_TIME_CHUNK_BYTES, disk.sizeBytes - off);
      const buf = await io.read(extents, disk.sizeBytes, off, len);
      chunks.push(createHash("sha256").update(buf).digest("hex"));
      whole.update(buf);
      if (keep) parts.push(buf);
    }
    const rec: DiskPointInTime = { slot: disk.slot, sizeBytes: disk.sizeBytes, chunkSha256: chunks, imageSha256: whole.digest("hex") };
    if (keep) rec.image = Buffer.concat(parts);
    disks.push(rec);
  }
  return disks;
}
