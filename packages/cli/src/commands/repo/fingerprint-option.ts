/**
 * The `--fingerprints ALG[:BLOCK]` option of `repo backup-image` and how a fingerprint kind is written back
 * (`md5:64K`) in what the `repo` commands print.
 */
import { DEFAULT_FINGERPRINT_BLOCK_BYTES, FINGERPRINT_ALGORITHMS, InvalidInputError, checkFingerprintBlockSize, isFingerprintAlgorithm } from "@esxbackup/domain";
import type { ChangeFingerprints } from "@esxbackup/domain";
import { parseByteSize } from "./open-repository.js";

/** `ALG[:BLOCK]`, e.g. `md5`, `sha256:1M`; BLOCK defaults to 64K. */
export function parseFingerprintsOption(text: string): ChangeFingerprints {
  const [algorithmText = "", blockText, ...rest] = text.trim().split(":");
  const algorithm = algorithmText.toLowerCase();
  if (!isFingerprintAlgorithm(algorithm) || rest.length > 0) {
    throw new InvalidInputError(
      "--fingerprints",
      `expected ALG[:BLOCK] with ALG one of ${Object.keys(FINGERPRINT_ALGORITHMS).join(", ")} and BLOCK a power of two like 64K (got ${JSON.stringify(text)})`,
    );
  }
  const blockSizeBytes = blockText === undefined ? DEFAULT_FINGERPRINT_BLOCK_BYTES : parseByteSize(blockText, "--fingerprints");
  checkFingerprintBlockSize(blockSizeBytes, "--fingerprints");
  return { algorithm, blockSizeBytes, digestLengthBytes: FINGERPRINT_ALGORITHMS[algorithm] };
}

/** "md5:64K", as the option is written. */
export function formatFingerprintKind(kind: ChangeFingerprints): string {
  const block = kind.blockSizeBytes;
  const size = block % (1024 * 1024) === 0 ? `${block / (1024 * 1024)}M` : block % 1024 === 0 ? `${block / 1024}K` : `${block}`;
  return `${kind.algorithm}:${size}`;
}
