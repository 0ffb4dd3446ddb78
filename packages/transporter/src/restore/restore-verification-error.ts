import { EsxbackupError } from "@esxbackup/domain";
import type { FingerprintComparison } from "./verify-restored-disk.js";

/** A restored disk whose content on the host differs from the point. */
export class RestoreVerificationError extends EsxbackupError {
  constructor(
    readonly disk: string,
    readonly comparison: FingerprintComparison,
  ) {
    super(
      "restore_verification_failed",
      `${disk}: ${comparison.mismatchedBlocks} of ${comparison.blocks} blocks on the host differ from the point after the restore (the first at byte ${comparison.firstMismatchBytes ?? 0}): the datastore does not hold what was written`,
    );
  }
}
