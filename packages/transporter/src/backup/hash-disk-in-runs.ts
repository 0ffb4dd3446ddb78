/**
 * Fingerprints of a whole disk computed here, whatever holds it (a local image, a point's disk in the
 * repository): runs of about RUN_BYTES in whole blocks, READS_IN_FLIGHT read at once and hashed on the
 * hasher's own thread, each run's digests recorded as it comes; runs known to be zero are not read. The
 * run buffers are allocated once and come back from the hashing thread to be read into again, so the pass
 * holds READS_IN_FLIGHT runs however large the disk, and leaves no run behind for the collector to find. */
import type { ChangeFingerprints, DiskFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import { FingerprintHasher } from "@esxbackup/repository";
import { BlockFingerprintTable } from "./block-fingerprint-table.js";
import { READS_IN_FLIGHT, RUN_BYTES } from "./read-runs.js";

export async function hashDiskInRuns(input: {
  sizeBytes: number;
  kind: ChangeFingerprints;
  /**
   * Fills `target` whole with the disk's bytes from `offsetBytes` (a block boundary). `target` belongs to
   * the pass: the reader must not keep it once the returned promise settles.
   */
  readInto: (offsetBytes: number, target: Uint8Array) => Promise<void>;
  /**
   * Whether the range is known to hold only zeros without reading it (a point's index marks zero chunks):
   * such a run is neither read nor hashed, its digests are those of zero blocks, computed once.
   */
  isZero?: (offsetBytes: number, lengthBytes: number) => boolean;
  signal: AbortSignal;
  onProgress: (bytesDone: number) => void;
  /** 0: hash on this thread (the hasher's option). */
  hashingThreads?: 0 | 1;
}): Promise<DiskFingerprints> {
  const { sizeBytes, kind } = input;
  const table = new BlockFingerprintTable(kind, sizeBytes);
  const hasher = new FingerprintHasher(kind.algorithm as FingerprintAlgorithm, kind.blockSizeBytes, input.hashingThreads === undefined ? {} : { threads: input.hashingThreads });
  const step = Math.max(kind.blockSizeBytes, Math.floor(RUN_BYTES / kind.blockSizeBytes) * kind.blockSizeBytes);
  // Whole buffers of `step` bytes, so that each is moved to the hashing thread and back, never copied.
  // Only the disk's last run may be shorter; it gets a buffer of its own.
  const spare: Uint8Array[] = [];
  const zeroRunDigests = new Map<number, Promise<Buffer>>();
  const digestsOfZeros = (length: number): Promise<Buffer> => {
    let digests = zeroRunDigests.get(length);
    if (digests === undefined) {
      digests = new FingerprintHasher(kind.algorithm as FingerprintAlgorithm, kind.blockSizeBytes, { threads: 0 }).hash(new Uint8Array(length)).then((hashed) => hashed.digests);
      zeroRunDigests.set(length, digests);
    }
    return digests;
  };
  let nextOffset = 0;
  let bytesDone = 0;
  const lane = async (): Promise<void> => {
    while (nextOffset < sizeBytes) {
      input.signal.throwIfAborted();
      const offset = nextOffset;
      const length = Math.min(step, sizeBytes - offset);
      nextOffset += length;
      if (input.isZero?.(offset, length) === true) {
        table.record(offset, await digestsOfZeros(length));
        bytesDone += length;
        input.onProgress(bytesDone);
        continue;
      }
      const target = (length === step ? spare.pop() : undefined) ?? new Uint8Array(length);
      await input.readInto(offset, target);
      const hashed = await hasher.hash(target);
      table.record(offset, hashed.digests);
      if (hashed.data.byteLength === step) spare.push(hashed.data);
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
