/**
 * The decisions of a backup of one disk, made before and between its I/O and nowhere else (ADR 0020):
 *
 * - `needsPreviousFingerprints`: whether the previous point's fingerprints must be read at all (only when
 *   they are compared with, or fill the blocks a partial read leaves out).
 * - `planBackup`: which fingerprints the new point records, whether the source fingerprints the whole disk
 *   first and what it is compared with, whether what is read is hashed on the way, and where the blocks
 *   not read take their fingerprints from. A previous point that cannot serve is refused here, before the
 *   writer starts, with a `BackupPlanRefusedError` saying why.
 * - `planReads`: what to read — everything, the listed ranges, or (after the source's fingerprints) the
 *   chunks `planDiskChanges` builds, which it also sizes for the report.
 *
 * All three are pure: the pipeline (`backUpDisk`) does the reading, hashing and writing they decide.
 */
import { FINGERPRINT_ALGORITHMS, checkFingerprintBlockSize, isFingerprintAlgorithm, sameFingerprintKind } from "@esxbackup/domain";
import type { ByteRange, ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";
import { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
import type { SourceFingerprints } from "./disk-source.js";
import { planDiskChanges } from "./plan-disk-changes.js";

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
  /** Where the blocks not read take their fingerprints from: they lie in chunks taken over, same bytes. */
  fillFrom?: DiskFingerprints;
}

export function needsPreviousFingerprints(request: BackupPlanRequest): boolean {
  if (request.previousPointId === undefined) return false;
  return request.changes.kind === "fingerprints" || (request.changes.kind === "listed" && request.requested !== undefined);
}

/**
 * `previous` is what `needsPreviousFingerprints` asked for: the previous point's id and its disk's
 * fingerprints (absent when it has none); undefined when they were not needed or there is no previous point.
 */
export function planBackup(request: BackupPlanRequest, previous?: { pointId: string; fingerprints?: DiskFingerprints }): BackupPlan {
  const { changes, requested } = request;
  if (changes.kind === "fingerprints") {
    if (previous === undefined) {
      if (requested === undefined) throw new Error("a first backup by fingerprints needs the kind to record");
      return { record: requested, fingerprintFirst: true, hashWhileReading: false };
    }
    const old = previous.fingerprints;
    if (old === undefined) throw new BackupPlanRefusedError({ reason: "previous-has-no-fingerprints", previousPointId: previous.pointId });
    if (requested !== undefined && !sameFingerprintKind(requested, old)) {
      throw new BackupPlanRefusedError({ reason: "kind-differs-from-previous", previousPointId: previous.pointId, requested, previous: kindOf(old) });
    }
    if (!computable(old)) {
      throw new BackupPlanRefusedError({ reason: "previous-kind-not-computable", previousPointId: previous.pointId, previous: { algorithm: old.algorithm, blockSizeBytes: old.blockSizeBytes } });
    }
    return { record: kindOf(old), fingerprintFirst: true, compareWith: old, hashWhileReading: false };
  }
  if (requested === undefined) return { fingerprintFirst: false, hashWhileReading: false };
  if (changes.kind === "listed" && previous !== undefined) {
    const old = previous.fingerprints;
    if (old === undefined || !sameFingerprintKind(requested, old)) {
      throw new BackupPlanRefusedError({
        reason: "listed-needs-previous-of-same-kind",
        previousPointId: previous.pointId,
        requested,
        ...(old === undefined ? {} : { previous: kindOf(old) }),
      });
    }
    return { record: requested, fingerprintFirst: false, hashWhileReading: true, fillFrom: old };
  }
  return { record: requested, fingerprintFirst: false, hashWhileReading: true };
}

export interface ReadPlan {
  /** The byte ranges whose chunks are read (besides any the repository cannot take over); absent: all. */
  ranges?: ByteRange[];
  /** Chunks the source found all zero: written as zero, never read (sorted). */
  zeroChunks: number[];
  /** With fingerprints: the changed bytes found, in how many ranges. */
  changed?: { ranges: number; bytes: number };
}

/**
 * What to read. By fingerprints, every chunk `planDiskChanges` builds new or patched is read whole (the
 * writer stores whole chunks, so a chunk with one changed block is read entire) and a chunk it builds zero
 * is written as zero without a read.
 */
export function planReads(input: {
  changes: ChangeSource;
  plan: BackupPlan;
  chunkSizeBytes: number;
  /** The source's fingerprints, when `plan.fingerprintFirst`. */
  current?: SourceFingerprints;
  previous?: { pointId: string; diskSizeBytes: number };
}): ReadPlan {
  const { changes, plan, chunkSizeBytes, current } = input;
  if (!plan.fingerprintFirst) return changes.kind === "listed" ? { ranges: changes.ranges, zeroChunks: [] } : { zeroChunks: [] };
  if (current === undefined) throw new Error("the source's fingerprints are needed to plan the reads");
  const previous = plan.compareWith === undefined || input.previous === undefined ? undefined : { sizeBytes: input.previous.diskSizeBytes, fingerprints: plan.compareWith };
  const changed = planDiskChanges({ chunkSizeBytes, current, ...(previous === undefined ? {} : { previous }) });
  if (changed.kind === "re-hash-previous") {
    throw new BackupPlanRefusedError({ reason: "previous-fingerprints-incomparable", previousPointId: input.previous?.pointId ?? "", detail: changed.reason });
  }
  const sizeBytes = current.fingerprints.sizeBytes;
  const ranges = changed.chunks
    .filter((build) => build.kind !== "zero")
    .map(({ index }) => ({ offsetBytes: index * chunkSizeBytes, lengthBytes: Math.min(chunkSizeBytes, sizeBytes - index * chunkSizeBytes) }));
  const zeroChunks = changed.chunks.filter((build) => build.kind === "zero").map(({ index }) => index);
  const bytes = changed.readRanges.reduce((sum, range) => sum + range.lengthBytes, 0) + changed.zeroBytesSkipped;
  return { ranges, zeroChunks, changed: { ranges: changed.readRanges.length, bytes } };
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
