/**
 * Fingerprints of a whole disk computed here, whatever holds it (a local image, a point's disk in the
 * repository): runs of about RUN_BYTES in whole blocks, READS_IN_FLIGHT read at once and hashed on the
 * hasher's own thread, each run's digests recorded as it comes.
 */
import type { ChangeFingerprints, DiskFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import { FingerprintHasher } from "@esxbackup/repository";
import { BlockFingerprintTable } from "./block-fingerprint-table.js";
import { READS_IN_FLIGHT, RUN_BYTES } from "./read-runs.js";

export async function hashDiskInRuns(input: {
  sizeBytes: number;
  kind: ChangeFingerprints;
  /**
   * Exactly `lengthBytes` at `offsetBytes` (a block boundary), in a buffer of its own that the hashing thread
   * may take over.
   */
  read: (offsetBytes: number, lengthBytes: number) => Promise<Uint8Array>;
  signal: AbortSignal;
  onProgress: (bytesDone: number) => void;
}): Promise<DiskFingerprints> {
  const { sizeBytes, kind } = input;
  const table = new BlockFingerprintTable(kind, sizeBytes);
  const hasher = new FingerprintHasher(kind.algorithm as FingerprintAlgorithm, kind.blockSizeBytes);
  const step = Math.max(kind.blockSizeBytes, Math.floor(RUN_BYTES / kind.blockSizeBytes) * kind.blockSizeBytes);
  let nextOffset = 0;
  let bytesDone = 0;
  const lane = async (): Promise<void> => {
    while (nextOffset < sizeBytes) {
      input.signal.throwIfAborted();
      const offset = nextOffset;
      const length = Math.min(step, sizeBytes - offset);
      nextOffset += length;
      table.record(offset, (await hasher.hash(await input.read(offset, length))).digests);
      bytesDone += length;
      input.onProgress(bytesDone);
    }
  };
  try {
    await Promise.all(Array.from({ length: READS_IN_FLIGHT }, lane));
  } finally {
    await hasher.close();
  }
  return table.toDiskFingerprints();
}
