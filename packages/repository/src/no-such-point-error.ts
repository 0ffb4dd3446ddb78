import { InvalidInputError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";

/**
 * A recovery point named by the caller is not published (never was, or was pruned). One message wherever a
 * point is looked up by id, so a missing previous point reads the same whether the CLI or the writer finds it.
 */
export class NoSuchPointError extends InvalidInputError {
  readonly pointIds: readonly PointId[];

  constructor(role: "point" | "previous point", pointIds: readonly PointId[], consequence?: string) {
    super(role, `no such recovery point: ${pointIds.join(", ")}${consequence === undefined ? "" : ` (${consequence})`}`);
    this.pointIds = pointIds;
  }
}
