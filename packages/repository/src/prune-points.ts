/**
 * Deletes recovery points chosen elsewhere (retention is a pure decision outside the repository). Plan
 * first — every id must exist, or nothing is deleted — then execute: per point the manifest goes first
 * (the point disappears atomically), then its index folder. Chunks are reclaimed by gc, never here, so a
 * prune racing a backup that takes over chunks from the pruned point cannot break that backup.
 */
import { InvalidInputError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import type { Repository } from "./repository.js";
import { manifestKey, pointIndexesFolder } from "./repository-layout.js";

export interface PrunePlan {
  pointIds: PointId[];
}

export async function planPrune(repository: Repository, pointIds: readonly PointId[]): Promise<PrunePlan> {
  if (pointIds.length === 0) throw new InvalidInputError("points", "name at least one recovery point to prune");
  const existing = new Set(await repository.listPointIds());
  const unknown = pointIds.filter((id) => !existing.has(id));
  if (unknown.length > 0) throw new InvalidInputError("point", `no such recovery point: ${unknown.join(", ")} (nothing was pruned)`);
  return { pointIds: [...new Set(pointIds)] };
}

export async function executePrune(repository: Repository, plan: PrunePlan): Promise<void> {
  for (const pointId of plan.pointIds) {
    await repository.store.remove(manifestKey(pointId));
    await repository.store.remove(pointIndexesFolder(pointId));
  }
}
