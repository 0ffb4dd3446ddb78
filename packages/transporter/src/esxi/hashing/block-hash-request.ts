/**
 * What to hash on the host: a byte range of one file (a frozen `-flat.vmdk` under a snapshot) in blocks of
 * `blockSizeBytes`. The range starts on a block boundary; every block is whole except possibly the last,
 * which may be shorter only when the range ends at the end of the disk. Checked here, once, so that the
 * script, the shell fallback and the parser agree on how many lines to expect.
 */
import { InvalidInputError, checkFingerprintBlockSize, fingerprintBlockCount, isFingerprintAlgorithm } from "@esxbackup/domain";
import type { FingerprintAlgorithm } from "@esxbackup/domain";

export interface BlockHashRequest {
  /** Absolute path on the host, e.g. `/vmfs/volumes/datastore1/web 01/web 01-flat.vmdk`. */
  path: string;
  algorithm: FingerprintAlgorithm;
  blockSizeBytes: number;
  offsetBytes: number;
  lengthBytes: number;
}

/** Throws an InvalidInputError naming the field that is wrong; returns the number of blocks (lines). */
export function checkBlockHashRequest(request: BlockHashRequest): number {
  if (!isFingerprintAlgorithm(request.algorithm)) throw new InvalidInputError("algorithm", `unknown fingerprint algorithm ${JSON.stringify(request.algorithm)}`);
  checkFingerprintBlockSize(request.blockSizeBytes, "blockSizeBytes");
  if (request.path === "" || request.path.includes("\0")) throw new InvalidInputError("path", "expected a non-empty host path without NUL bytes");
  const { offsetBytes, lengthBytes, blockSizeBytes } = request;
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % blockSizeBytes !== 0) {
    throw new InvalidInputError("offsetBytes", `expected a multiple of the ${blockSizeBytes}-byte block (got ${offsetBytes})`);
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0) throw new InvalidInputError("lengthBytes", `expected a positive whole number (got ${lengthBytes})`);
  return fingerprintBlockCount(lengthBytes, blockSizeBytes);
}
