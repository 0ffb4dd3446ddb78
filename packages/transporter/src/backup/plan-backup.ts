/**
 * The decisions of a backup of one disk, made before and between its I/O and nowhere else (ADR 0020):
 *
 * - `needsPreviousFingerprints`: whether the previous point's fingerprints must be read at all (only when
 *   they are compared with, or fill the blocks a partial read leaves out).
 * - `planBackup`: which fingerprints the new point records, whether the source fingerprints the whole disk
 *   first and what it is compared with, whether what is read is hashed on the way (here, or by the source
 *   as it reads: a disk's first backup then reads each block once, docs/adr/0038), where the blocks not
 *   read take their fingerprints from, and whether the previous point's disk must be hashed again first.
 *   What cannot be served is refused here, before the writer starts, with a `BackupPlanRefusedError`.
 * - `planReads`: what to read — everything, the chunks of the listed ranges, or (after the source's
 *   fingerprints) only the changed blocks, with how `planDiskChanges` builds each chunk from them.
 *
 * All three are pure: the pipeline (`backUpDisk`) does the reading, hashing and writing they decide.
 */
import { FINGERPRINT_ALGORITHMS, checkFingerprintBlockSize, isFingerprintAlgorithm, sameFingerprintKind } from "@esxbackup/domain";
import type { ByteRange, ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";
import { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
import type { SourceFingerprints } from "./disk-source.js";
import { planDiskChanges } from "./plan-disk-changes.js";
import type { ChunkBuild } from "./plan-disk-changes.js";

/** Where the changes since the previous point come from. */
export type ChangeSource =
  /** None known: everything is read; with a previous point, unchanged chunks are deduplicated, not stored. */
  | { kind: "all" }
  /** Byte ranges the caller knows changed (e.g. a changed-block list); the other chunks are taken over. */
  | { kind: "listed"; ranges: ByteRange[] }
  /** The source fingerprints the whole disk and the blocks whose digest differs from the previous point's are read. */
  | { kind: "fingerprints" };

export interface BackupPlanRequest {
  changes: ChangeSource;
  /** The kind the new point records; when comparing fingerprints, absent means the previous point's kind. */
  requested?: ChangeFingerprints;
  previousPointId?: string;
  /** The source can fingerprint `requested` as it reads (`DiskSource.fingerprintsWhileReading`). */
  sourceFingerprintsWhileReading?: boolean;
}

export interface BackupPlan {
  /** The fingerprints the new point records; absent: none. */
  record?: ChangeFingerprints;
  /** The source fingerprints the whole disk before anything is read. */
  fingerprintFirst: boolean;
  /** What the source's fingerprints are compared with; absent with `fingerprintFirst`: a first backup. */
  compareWith?: DiskFingerprints;
  /** Hash what is read (every block a read touches is then read whole). */
  hashWhileReading: boolean;
  /** With `hashWhileReading`: the source hashes as it reads, and does not send the blocks it finds all zero. */
  hashedBySource?: true;
  /** Where the blocks not read take their fingerprints from: they lie in chunks taken over, same bytes. */
  fillFrom?: DiskFingerprints;
  /**
   * The previous point's fingerprints cannot be used as recorded: its disk is hashed again from the
   * repository at `record`, to compare with (by fingerprints) or to fill from (a changed list).
   */
  rehashPrevious?: true;
}

/**
 * A disk's first backup by fingerprints, where the source can fingerprint as it reads: every non-zero block
 * is read anyway, so the source fingerprints them as it sends them, rather than reading the whole disk to
 * fingerprint it and its non-zero blocks a second time (docs/adr/0038).
 */
export function readsOnce(request: BackupPlanRequest): boolean {
  return request.changes.kind === "fingerprints" && request.previousPointId === undefined && request.sourceFingerprintsWhileReading === true;
}

export function needsPreviousFingerprints(request: BackupPlanRequest): boolean {
  if (request.previousPointId === undefined) return false;
  return request.changes.kind === "fingerprints" || (request.changes.kind === "listed" && request.requested !== undefined);
}

/**
 * `previous` is what `needsPreviousFingerprints` asked for: the previous point's id and its disk's
 * fingerprints (absent when it has none); undefined when they were not needed or there is no previous point.
 *
 * Previous fingerprints that cannot be compared as recorded (none, another algorithm or block size, one this
 * program cannot compute) are no reason to read the whole disk: the previous point's disk is hashed again
 * from the repository at the kind the source computes (`rehashPrevious`), which costs no source traffic.
 * Only when no kind to compute is known (none asked, none usable in the previous point) is the backup refused.
 */
export function planBackup(request: BackupPlanRequest, previous?: { pointId: string; fingerprints?: DiskFingerprints }): BackupPlan {
  const { changes, requested } = request;
  if (changes.kind === "fingerprints") {
    if (previous === undefined) {
      if (requested === undefined) throw new Error("a first backup by fingerprints needs the kind to record");
      if (readsOnce(request)) return { record: requested, fingerprintFirst: false, hashWhileReading: true, hashedBySource: true };
      return { record: requested, fingerprintFirst: true, hashWhileReading: false };
    }
    const old = previous.fingerprints;
    if (old !== undefined && computable(old) && (requested === undefined || sameFingerprintKind(requested, old))) {
      return { record: kindOf(old), fingerprintFirst: true, compareWith: old, hashWhileReading: false };
    }
    if (requested === undefined) {
      if (old === undefined) throw new BackupPlanRefusedError({ reason: "previous-has-no-fingerprints", previousPointId: previous.pointId });
      throw new BackupPlanRefusedError({ reason: "previous-kind-not-computable", previousPointId: previous.pointId, previous: { algorithm: old.algorithm, blockSizeBytes: old.blockSizeBytes } });
    }
    return { record: requested, fingerprintFirst: true, rehashPrevious: true, hashWhileReading: false };
  }
  if (requested === undefined) return { fingerprintFirst: false, hashWhileReading: false };
  if (changes.kind === "listed" && previous !== undefined) {
    const old = previous.fingerprints;
    if (old !== undefined && sameFingerprintKind(requested, old)) return { record: requested, fingerprintFirst: false, hashWhileReading: true, fillFrom: old };
    // The blocks not read take their fingerprints from the previous point's disk, hashed again at this kind.
    return { record: requested, fingerprintFirst: false, hashWhileReading: true, rehashPrevious: true };
  }
  return { record: requested, fingerprintFirst: false, hashWhileReading: true };
}

export type ReadPlan =
  /** Whole chunks: those overlapping `ranges` (absent: every chunk), besides any the repository cannot take over. */
  | { kind: "chunks"; ranges?: ByteRange[] }
  /**
   * By fingerprints: how each chunk of the new point is built (zero, new or patched from the previous point's
   * chunk) and the changed, non-zero blocks to read for it; with the changed bytes found, in how many ranges.
   */
  | { kind: "blocks"; builds: ChunkBuild[]; readRanges: ByteRange[]; zeroRanges: ByteRange[]; changed: { ranges: number; bytes: number } }
  /** The previous fingerprints do not describe the previous disk: hash it again, then plan again. */
  | { kind: "re-hash-previous"; reason: string };

/**
 * What to read. Without the source's fingerprints: everything, or the chunks of the listed ranges. By
 * fingerprints: only the changed blocks `planDiskChanges` finds, compared with `previous` (the previous
 * point's disk; absent for a disk's first backup), and the changed blocks found all zero, which are not read.
 */
export function planReads(input: {
  changes: ChangeSource;
  plan: BackupPlan;
  chunkSizeBytes: number;
  /** The source's fingerprints, when `plan.fingerprintFirst`. */
  current?: SourceFingerprints;
  previous?: { sizeBytes: number; fingerprints: DiskFingerprints };
}): ReadPlan {
  const { changes, plan, chunkSizeBytes, current, previous } = input;
  if (!plan.fingerprintFirst) return changes.kind === "listed" ? { kind: "chunks", ranges: changes.ranges } : { kind: "chunks" };
  if (current === undefined) throw new Error("the source's fingerprints are needed to plan the reads");
  const changed = planDiskChanges({ chunkSizeBytes, current, ...(previous === undefined ? {} : { previous }) });
  if (changed.kind === "re-hash-previous") return changed;
  const bytes = changed.readRanges.reduce((sum, range) => sum + range.lengthBytes, 0) + changed.zeroBytesSkipped;
  return { kind: "blocks", builds: changed.chunks, readRanges: changed.readRanges, zeroRanges: changed.zeroRanges, changed: { ranges: changed.readRanges.length, bytes } };
}

function kindOf(fingerprints: ChangeFingerprints): ChangeFingerprints {
  const { algorithm, blockSizeBytes, digestLengthBytes } = fingerprints;
  return { algorithm, blockSizeBytes, digestLengthBytes };
}

function computable(kind: ChangeFingerprints): boolean {
  if (!isFingerprintAlgorithm(kind.algorithm) || FINGERPRINT_ALGORITHMS[kind.algorithm] !== kind.digestLengthBytes) return false;
  try {
    checkFingerprintBlockSize(kind.blockSizeBytes, "block size");
    return true;
  } catch {
    return false;
  }
}
