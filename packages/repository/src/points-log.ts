/**
 * The points log (docs/repository-format.md §8a, ADR 0008), version 3: an append-only record of every point
 * published or pruned, so that a manifest deleted, or an old one put back, is noticed. Record n
 * is `log/<n, 16 digits>.rec`, an envelope (kind 5) bound to that name, holding JSON
 * `{ sequence, previousDigest, event, pointId, at }`; `previousDigest` is the SHA-256 of record n−1's file
 * (64 zeros for record 1), so records cannot be removed, reordered or mixed from two copies without a
 * reader noticing. In an encrypted repository nobody without the key can write a record that opens.
 *
 * Appending happens under the repository mutex (§8): a writer appends "published" right after writing its
 * manifest; prune appends "pruned" before removing a manifest. A writer that died between its manifest and
 * its record left its writer lock: every append first records such a point (its manifest authenticates, so
 * a planted lock can only get a genuine point recorded). The appender finds the last record by probing
 * single names, not by listing `log/` (ADR 0034), and chains to its file's bytes without opening it, so a
 * damaged record is reported by verify but never stops backups.
 */
import { createHash } from "node:crypto";
import { parsePointId } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { EnvelopeKind } from "./envelope.js";
import { findPointsLogEnd } from "./find-points-log-end.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { listLocks } from "./repository-lock.js";
import { POINTS_LOG_FOLDER, POINTS_LOG_RECORD_NAME, pointsLogKey } from "./repository-layout.js";

export type PointsLogEvent = "published" | "pruned";

export interface PointsLogRecord {
  sequence: number;
  previousDigest: string;
  event: PointsLogEvent;
  pointId: PointId;
  at: string;
}

const NO_PREVIOUS = "0".repeat(64);
const EVENTS: readonly string[] = ["published", "pruned"];

export const hasPointsLog = (repository: Repository): boolean => repository.config.formatVersion >= 3;

const fileDigest = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function recordSequences(repository: Repository): Promise<number[]> {
  const names = await repository.store.list(POINTS_LOG_FOLDER);
  return names
    .map((name) => POINTS_LOG_RECORD_NAME.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Appends one record; the caller holds the repository mutex. First records the points of writers that died
 * after publishing and before their record (see above), removing their dead locks. Nothing happens in a
 * repository older than version 3.
 */
export async function appendPointsLog(repository: Repository, event: PointsLogEvent, pointId: PointId): Promise<void> {
  if (!hasPointsLog(repository)) return;
  for (const orphan of await unrecordedPublications(repository, pointId)) {
    if (orphan.unrecorded) await appendRecord(repository, "published", orphan.pointId);
    await repository.store.remove(orphan.lockKey);
  }
  await appendRecord(repository, event, pointId);
}

/**
 * Dead writer locks naming a published point, and whether the log lacks it (the log is read only when there
 * is such a lock). A point whose manifest does not authenticate is left to verify.
 */
async function unrecordedPublications(repository: Repository, except: PointId): Promise<{ pointId: PointId; lockKey: string; unrecorded: boolean }[]> {
  const dead = (await listLocks(repository.store, "writer", repository)).filter(
    (lock) => !lock.live && lock.record.pointId !== undefined && lock.record.pointId !== except,
  );
  const found: { pointId: PointId; lockKey: string; unrecorded: boolean }[] = [];
  let known: PointsLogState | undefined;
  for (const lock of dead) {
    const pointId = lock.record.pointId as PointId;
    if (!(await repository.hasPoint(pointId))) continue;
    const genuine = await repository.readPoint(pointId).then(
      () => true,
      () => false,
    );
    if (!genuine) continue;
    known ??= await readPointsLog(repository);
    found.push({ pointId, lockKey: lock.key, unrecorded: !known.points.has(pointId) });
  }
  return found;
}

/** The highest sequence each open repository last appended or found: where the next search starts. */
const lastSeen = new WeakMap<Repository, number>();

/**
 * Appends one record after the last one, found by probing single records (`findPointsLogEnd`) and created
 * exclusively. When the probes see a log our writers cannot have left (a record removed), or the record is
 * there already, it lists `log/` and appends after the highest sequence, as earlier appenders always do: on
 * a tampered log the result is the listing's, except in a gap the probes did not see (ADR 0034).
 */
async function appendRecord(repository: Repository, event: PointsLogEvent, pointId: PointId): Promise<void> {
  const { store } = repository;
  const isPresent = async (sequence: number): Promise<boolean> => (await store.stat(pointsLogKey(sequence))) !== undefined;
  const last = await findPointsLogEnd(isPresent, lastSeen.get(repository));
  if (last !== undefined) {
    const key = pointsLogKey(last + 1);
    if (await store.createExclusive(key, await sealRecord(repository, last, event, pointId))) {
      lastSeen.set(repository, last + 1);
      return;
    }
  }
  const listed = (await recordSequences(repository)).at(-1) ?? 0;
  await store.write(pointsLogKey(listed + 1), await sealRecord(repository, listed, event, pointId));
  lastSeen.set(repository, listed + 1);
}

/** Record `last` + 1, chained to the bytes of record `last`'s file (not opened: a damaged one is verify's to report). */
async function sealRecord(repository: Repository, last: number, event: PointsLogEvent, pointId: PointId): Promise<Buffer> {
  const previousDigest = last === 0 ? NO_PREVIOUS : fileDigest(await repository.store.read(pointsLogKey(last)));
  const sequence = last + 1;
  const record: PointsLogRecord = { sequence, previousDigest, event, pointId, at: repository.clock.now().toISOString() };
  const key = pointsLogKey(sequence);
  return repository.sealEnvelope(EnvelopeKind.pointsLog, Buffer.from(JSON.stringify(record)), key);
}

export interface PointsLogProblem {
  file: string;
  problem: string;
}

/** What the log says, read and checked from record 1 on. */
export interface PointsLogState {
  /** Number of records (the highest sequence present). */
  records: number;
  /** SHA-256 of the last record's file: what an outside observer keeps to notice a rollback later. */
  headDigest: string;
  /** SHA-256 of record n's file at [n − 1] (undefined where the record is missing). */
  digests: (string | undefined)[];
  /** Each point's last event, with the record that says it. */
  points: Map<PointId, { event: PointsLogEvent; sequence: number }>;
  problems: PointsLogProblem[];
}

export async function readPointsLog(repository: Repository): Promise<PointsLogState> {
  const sequences = await recordSequences(repository);
  const present = new Set(sequences);
  const state: PointsLogState = { records: sequences.at(-1) ?? 0, headDigest: NO_PREVIOUS, digests: [], points: new Map(), problems: [] };
  let previousDigest: string | undefined = NO_PREVIOUS;
  for (let sequence = 1; sequence <= state.records; sequence += 1) {
    const key = pointsLogKey(sequence);
    const file = repository.store.locate(key);
    if (!present.has(sequence)) {
      state.problems.push({ file, problem: "missing: a record of the points log was deleted" });
      previousDigest = undefined;
      continue;
    }
    const bytes = await repository.store.read(key);
    const digest = fileDigest(bytes);
    state.digests[sequence - 1] = digest;
    try {
      const record = JSON.parse((await repository.readEnvelope(key, EnvelopeKind.pointsLog, bytes)).toString("utf8")) as PointsLogRecord;
      if (record.sequence !== sequence || !EVENTS.includes(record.event) || typeof record.previousDigest !== "string") {
        throw new RepositoryFileError("corrupt", file, `holds sequence ${String(record.sequence)} / event ${String(record.event)}: not record ${sequence}`);
      }
      if (previousDigest !== undefined && record.previousDigest !== previousDigest) {
        throw new RepositoryFileError("corrupt", file, "does not follow the record before it (previousDigest differs): records were replaced or mixed from another copy");
      }
      state.points.set(parsePointId(record.pointId), { event: record.event, sequence });
    } catch (error) {
      state.problems.push({ file, problem: error instanceof RepositoryFileError ? error.message.slice(error.path.length + 2) : `not a points-log record (${String(error)})` });
    }
    previousDigest = digest;
    state.headDigest = digest;
  }
  return state;
}
