/**
 * Deletes recovery points chosen elsewhere (retention is a pure decision outside the repository). Plan
 * first — every id must exist, or nothing is deleted — then execute: per point the manifest goes first
 * (the point disappears atomically), then its index folder — unless a running backup builds on that point:
 * then the folder stays (gc marks it while the backup runs, and removes it as an orphan afterwards). Each
 * point is removed under the mutex, so a backup registering its base is entirely before or after. In version
 * 3 the points log records the prune first (a crash before the manifest goes shows as a resurrected point in
 * verify: prune it again). Chunks are reclaimed by gc, never here.
 */
import { InvalidInputError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { NoSuchPointError } from "./no-such-point-error.js";
import { appendPointsLog } from "./points-log.js";
import type { Repository } from "./repository.js";
import { manifestKey, pointIndexesFolder } from "./repository-layout.js";
import { listLocks } from "./repository-lock.js";
import { withMutex } from "./repository-mutex.js";
import { withSpaceReserve } from "./space-reserve.js";

export interface PrunePlan {
  pointIds: PointId[];
}

export async function planPrune(repository: Repository, pointIds: readonly PointId[]): Promise<PrunePlan> {
  if (pointIds.length === 0) throw new InvalidInputError("points", "name at least one recovery point to prune");
  const existing = new Set(await repository.listPointIds());
  const unknown = pointIds.filter((id) => !existing.has(id));
  if (unknown.length > 0) throw new NoSuchPointError("point", unknown, "nothing was pruned");
  return { pointIds: [...new Set(pointIds)] };
}

/** Runs on a full disk too: the mutex it needs is made from the space reserve. Running it again is harmless. */
export async function executePrune(repository: Repository, plan: PrunePlan): Promise<void> {
  const store = repository.store;
  await withSpaceReserve(store, async () => {
    for (const pointId of plan.pointIds) {
      await withMutex(store, repository, async (held) => {
        await held.confirm();
        await appendPointsLog(repository, "pruned", pointId);
        await store.remove(manifestKey(pointId));
        const writers = await listLocks(store, "writer", repository);
        if (!writers.some((writer) => writer.live && (writer.unreadable === true || writer.record.basePointId === pointId))) {
          await held.confirm();
          await store.remove(pointIndexesFolder(pointId));
        }
      });
    }
  });
}
