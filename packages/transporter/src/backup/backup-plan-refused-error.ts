/**
 * A backup the planner will not start, with the facts a caller needs to say why in its own words (the CLI
 * names its options, the director its job fields). Thrown before anything is written to the repository.
 */
import type { ChangeFingerprints } from "@esxbackup/domain";

export type BackupPlanRefusal =
  /**
   * Changes were to be found by fingerprints, the previous point has none for its disk, and no kind was
   * asked for: there is no kind to hash the previous disk again at.
   */
  | { reason: "previous-has-no-fingerprints"; previousPointId: string }
  /** The same, the previous point's fingerprints being of an algorithm or block size this program cannot compute. */
  | { reason: "previous-kind-not-computable"; previousPointId: string; previous: { algorithm: string; blockSizeBytes: number } }
  /** The fingerprint table of this disk at this kind would exceed what the format holds. */
  | { reason: "fingerprints-too-large"; sizeBytes: number; kind: ChangeFingerprints; fingerprintBytes: number; maxBytes: number };

export class BackupPlanRefusedError extends Error {
  readonly refusal: BackupPlanRefusal;

  constructor(refusal: BackupPlanRefusal) {
    super(`backup refused: ${refusal.reason}`);
    this.name = "BackupPlanRefusedError";
    this.refusal = refusal;
  }
}
