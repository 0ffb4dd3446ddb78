/**
 * A backup the planner will not start, with the facts a caller needs to say why in its own words (the CLI
 * names its options, the director its job fields). Thrown before anything is written to the repository.
 */
import type { ChangeFingerprints } from "@esxbackup/domain";

export type BackupPlanRefusal =
  /** Changes were to be found by fingerprints, but the previous point has none for its disk. */
  | { reason: "previous-has-no-fingerprints"; previousPointId: string }
  /** The kind asked for cannot be compared with the previous point's. */
  | { reason: "kind-differs-from-previous"; previousPointId: string; requested: ChangeFingerprints; previous: ChangeFingerprints }
  /** The previous point's fingerprints are of an algorithm or block size this program cannot compute. */
  | { reason: "previous-kind-not-computable"; previousPointId: string; previous: { algorithm: string; blockSizeBytes: number } }
  /** The previous point's fingerprints do not describe its disk (wrong size or length): `detail` says how. */
  | { reason: "previous-fingerprints-incomparable"; previousPointId: string; detail: string }
  /**
   * Only listed ranges are read, so blocks not read take their fingerprints from the previous point, which
   * must hold the same kind.
   */
  | { reason: "listed-needs-previous-of-same-kind"; previousPointId: string; requested: ChangeFingerprints; previous?: ChangeFingerprints }
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
