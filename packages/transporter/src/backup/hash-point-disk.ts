/**
 * Fingerprints of a disk of a published point, computed from the repository (docs/adr/0023): what a backup
 * compares with when the previous point has no fingerprints of the kind the source computes (made without
 * them, by another program, or at another algorithm or block size). Costs reading the previous disk back
 * from the repository and hashing it here — no traffic from the source, which is the point: a backup must
 * never fall back to reading the whole disk from the host for want of comparable fingerprints.
 *
 * Reads runs of about RUN_BYTES (whole blocks), READS_IN_FLIGHT at a time; zero chunks cost no store read.
 */
import type { ChangeFingerprints, DiskFingerprints, FingerprintAlgorithm, PointId } from "@esxbackup/domain";
import { DiskReader, FingerprintHasher } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { BlockFingerprintTable } from "./block-fingerprint-table.js";
import { READS_IN_FLIGHT, RUN_BYTES } from "./read-runs.js";

export async function hashPointDisk(
  repository: Repository,
  disk: { pointId: PointId; diskIndex: number },
  kind: ChangeFingerprints,
  options: { signal: AbortSignal; onProgress: (bytesDone: number) => void },
): Promise<DiskFingerprints> {
  const reader = await DiskReader.open(repository, disk.pointId, disk.diskIndex);
  const table = new BlockFingerprintTable(kind, reader.sizeBytes);
  const hasher = new FingerprintHasher(kind.algorithm as FingerprintAlgorithm, kind.blockSizeBytes);
  const step = Math.max(kind.blockSizeBytes, Math.floor(RUN_BYTES / kind.blockSizeBytes) * kind.blockSizeBytes);
  let nextOffset = 0;
  let bytesDone = 0;
  const lane = async (): Promise<void> => {
    while (nextOffset < reader.sizeBytes) {
      options.signal.throwIfAborted();
      const offset = nextOffset;
      const length = Math.min(step, reader.sizeBytes - offset);
      nextOffset += length;
      // Runs start on chunk boundaries, so the range is the whole of a fresh buffer, handed to the hashing
      // thread without a copy.
      table.record(offset, (await hasher.hash(await reader.readRange(offset, length))).digests);
      bytesDone += length;
      options.onProgress(bytesDone);
    }
  };
  try {
    await Promise.all(Array.from({ length: READS_IN_FLIGHT }, lane));
  } finally {
    await hasher.close();
  }
  return table.toDiskFingerprints();
}
