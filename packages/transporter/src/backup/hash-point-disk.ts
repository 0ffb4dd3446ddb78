/**
 * Fingerprints of a disk of a published point, computed from the repository (docs/adr/0023): what a backup
 * compares with when the previous point has no fingerprints of the kind the source computes (made without
 * them, by another program, or at another algorithm or block size). Costs reading the previous disk back
 * from the repository and hashing it here — no traffic from the source, which is the point: a backup must
 * never fall back to reading the whole disk from the host for want of comparable fingerprints. Zero chunks
 * cost no store read.
 */
import type { ChangeFingerprints, DiskFingerprints, PointId } from "@esxbackup/domain";
import { DiskReader } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { hashDiskInRuns } from "./hash-disk-in-runs.js";

export async function hashPointDisk(
  repository: Repository,
  disk: { pointId: PointId; diskIndex: number },
  kind: ChangeFingerprints,
  options: { signal: AbortSignal; onProgress: (bytesDone: number) => void },
): Promise<DiskFingerprints> {
  const reader = await DiskReader.open(repository, disk.pointId, disk.diskIndex);
  // Runs start on block boundaries and blocks and chunks nest, so a range read is the whole of a fresh
  // buffer, handed to the hashing thread without a copy.
  return hashDiskInRuns({ sizeBytes: reader.sizeBytes, kind, read: (offset, length) => reader.readRange(offset, length), ...options });
}
