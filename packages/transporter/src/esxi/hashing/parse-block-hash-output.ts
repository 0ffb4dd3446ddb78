/**
 * Parses what the fingerprinting script (or its busybox fallback) printed for one BlockHashRequest: exactly
 * one line per block, each the lowercase hex digest of the algorithm or `Z` for an all-zero block, every
 * line ending in `\n`. Strict, since a digest taken from a garbled line would make a changed block look
 * unchanged: anything else is a BlockHashOutputError quoting the line, and nothing is returned. The digest
 * of empty input is refused too: busybox ash has no pipefail, so a `dd` that fails mid-loop (a read error,
 * a file that became busy) leaves `md5sum` hashing nothing, and that digest is all that shows it.
 */
import { FINGERPRINT_ALGORITHMS } from "@esxbackup/domain";
import { BlockHashOutputError } from "./block-hash-output-error.js";
import { checkBlockHashRequest } from "./block-hash-request.js";
import type { BlockHashRequest } from "./block-hash-request.js";
import { zeroBlockDigest } from "./zero-block-digest.js";

export interface HostBlockHashes {
  /** One digest per block of the range, in order; an all-zero block holds the digest of its zero bytes. */
  digests: Buffer;
  /** 1 where the host found the block all zero (it is then never read). */
  zeroBlocks: Uint8Array;
}

export function parseBlockHashOutput(output: string, request: BlockHashRequest): HostBlockHashes {
  const blockCount = checkBlockHashRequest(request);
  const digestBytes = FINGERPRINT_ALGORITHMS[request.algorithm];
  const digestLine = new RegExp(`^[0-9a-f]{${digestBytes * 2}}$`, "u");
  const nothingRead = zeroBlockDigest(request.algorithm, 0).toString("hex");
  const lines = output.split("\n");
  const last = lines.pop();
  if (last !== "") throw new BlockHashOutputError(lines.length + 1, last ?? "", "the output ends without a newline (cut off?)");
  const digests = Buffer.alloc(blockCount * digestBytes);
  const zeroBlocks = new Uint8Array(blockCount);
  for (const [index, line] of lines.entries()) {
    if (index >= blockCount) throw new BlockHashOutputError(index + 1, line, `expected ${blockCount} lines, one per block, got ${lines.length}`);
    if (line === "Z") {
      const lengthBytes = Math.min(request.blockSizeBytes, request.lengthBytes - index * request.blockSizeBytes);
      zeroBlockDigest(request.algorithm, lengthBytes).copy(digests, index * digestBytes);
      zeroBlocks[index] = 1;
    } else if (line === nothingRead) {
      throw new BlockHashOutputError(index + 1, line, "the digest of no bytes at all: the host read nothing for this block (a read error?)");
    } else if (digestLine.test(line)) {
      digests.write(line, index * digestBytes, "hex");
    } else {
      throw new BlockHashOutputError(index + 1, line, `expected a ${request.algorithm} digest (${digestBytes * 2} lowercase hex digits) or Z`);
    }
  }
  if (lines.length < blockCount) throw new BlockHashOutputError(lines.length + 1, undefined, `expected ${blockCount} lines, one per block, got ${lines.length}`);
  return { digests, zeroBlocks };
}
