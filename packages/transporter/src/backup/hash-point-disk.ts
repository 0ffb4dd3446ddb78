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
  // Decoded here: the runs go to the hasher's thread anyway, and the codec pool's workers would each hold
  // tens of MiB of copies of the chunks sent to them until their collectors run (DiskReaderOptions).
  const reader = await DiskReader.open(repository, disk.pointId, disk.diskIndex, { decodeInline: true });
  return hashDiskInRuns({ sizeBytes: reader.sizeBytes, kind, readInto: (offset, target) => reader.readInto(offset, target), isZero: (offset, length) => reader.isZeroRange(offset, length), ...options });
}
