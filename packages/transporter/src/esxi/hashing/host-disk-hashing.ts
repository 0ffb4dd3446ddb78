/**
 * A whole disk hashed on the host in `parts` consecutive block-aligned ranges (one command each, so the
 * transporter can spread them over several SSH channels), and the parts' parsed output joined back into
 * the disk's fingerprints and zero map, the `current` input of planDiskChanges.
 */
import { FINGERPRINT_ALGORITHMS, fingerprintBlockCount } from "@esxbackup/domain";
import type { DiskFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import type { BlockHashRequest } from "./block-hash-request.js";
import type { HostBlockHashes } from "./parse-block-hash-output.js";

export interface HostDiskKind {
  algorithm: FingerprintAlgorithm;
  blockSizeBytes: number;
}

/** At most `parts` requests (fewer for a disk of fewer blocks), in disk order, covering every byte once. */
export function splitDiskForHashing(path: string, sizeBytes: number, kind: HostDiskKind, parts: number): BlockHashRequest[] {
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError(`parts must be a whole number >= 1 (got ${parts})`);
  const blocks = fingerprintBlockCount(sizeBytes, kind.blockSizeBytes);
  const requests: BlockHashRequest[] = [];
  const count = Math.min(parts, blocks);
  for (let part = 0; part < count; part += 1) {
    const offsetBytes = Math.floor((blocks * part) / count) * kind.blockSizeBytes;
    const endBytes = Math.min(sizeBytes, Math.floor((blocks * (part + 1)) / count) * kind.blockSizeBytes);
    requests.push({ path, ...kind, offsetBytes, lengthBytes: endBytes - offsetBytes });
  }
  return requests;
}

/** Joins the parts of splitDiskForHashing, in its order; throws if they do not cover the disk exactly. */
export function joinHostBlockHashes(
  sizeBytes: number,
  kind: HostDiskKind,
  parts: readonly { request: BlockHashRequest; hashes: HostBlockHashes }[],
): { fingerprints: DiskFingerprints; zeroBlocks: Uint8Array } {
  const digestLengthBytes = FINGERPRINT_ALGORITHMS[kind.algorithm];
  let nextOffset = 0;
  for (const { request, hashes } of parts) {
    if (request.offsetBytes !== nextOffset || request.algorithm !== kind.algorithm || request.blockSizeBytes !== kind.blockSizeBytes) {
      throw new Error(`host hash part at ${request.offsetBytes} (${request.algorithm}/${request.blockSizeBytes}) does not follow byte ${nextOffset} of a ${kind.algorithm}/${kind.blockSizeBytes} disk`);
    }
    if (hashes.zeroBlocks.length * digestLengthBytes !== hashes.digests.length || hashes.zeroBlocks.length !== fingerprintBlockCount(request.lengthBytes, kind.blockSizeBytes)) {
      throw new Error(`host hash part at ${request.offsetBytes} holds ${hashes.zeroBlocks.length} blocks for ${request.lengthBytes} bytes`);
    }
    nextOffset += request.lengthBytes;
  }
  if (nextOffset !== sizeBytes) throw new Error(`host hash parts cover ${nextOffset} bytes of a ${sizeBytes}-byte disk`);
  return {
    fingerprints: { ...kind, digestLengthBytes, sizeBytes, digests: Buffer.concat(parts.map((part) => part.hashes.digests)) },
    zeroBlocks: Uint8Array.from(parts.flatMap((part) => [...part.hashes.zeroBlocks])),
  };
}
