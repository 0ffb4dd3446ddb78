/**
 * The repository's points, newest id first, read lazily for findPreviousPoint: a manifest is read (and
 * opened) only when the search gets near it, a few ahead so that a store with slow round trips (a NAS over
 * NFS) is not waited on one file at a time. Listing the ids reads one folder; the manifests are the cost.
 */
import type { PointId, RecoveryPoint } from "@esxbackup/domain";
import { RepositoryFileError } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import type { PointSummary } from "./find-previous-point.js";

/** Manifests read ahead of the search: enough to hide a network store's latency, few left unused at the stop. */
export const POINT_READ_AHEAD = 8;

export async function* pointSummariesNewestFirst(
  repository: Pick<Repository, "listPointIds" | "readPoint">,
  readAhead: number = POINT_READ_AHEAD,
): AsyncGenerator<PointSummary, void, undefined> {
  // Code-unit order (ids are ASCII), descending: the reference writer's ids begin with the UTC time.
  const ids = (await repository.listPointIds()).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const reading: Promise<RecoveryPoint | undefined>[] = [];
  let next = 0;
  for (;;) {
    while (reading.length < Math.max(1, readAhead) && next < ids.length) {
      const read = readUnlessPruned(repository, ids[next++] as PointId);
      // Left unawaited when the search stops before it: its failure must not surface as an unhandled rejection.
      read.catch(() => undefined);
      reading.push(read);
    }
    const read = reading.shift();
    if (read === undefined) return;
    const point = await read;
    if (point !== undefined) yield { pointId: point.pointId, host: point.host, vm: point.vm };
  }
}

/** A point pruned since the listing is no longer a candidate (nor a base a writer could begin from). */
async function readUnlessPruned(repository: Pick<Repository, "readPoint">, pointId: PointId): Promise<RecoveryPoint | undefined> {
  try {
    return await repository.readPoint(pointId);
  } catch (error) {
    if (error instanceof RepositoryFileError && error.problem === "missing") return undefined;
    throw error;
  }
}
