/**
 * Which recovery point a VM's backup continues from: the newest point of the same VM from the same host.
 * The same VM is the same BIOS uuid when both have one (it survives renames and re-registration under a
 * new vmid); else the same vmid and the same name (a uuid-less VM, or a point made without one). Points of
 * other hosts never match: a vmid is only unique on its host. Pure; says how it matched, for the report.
 */
import type { PointId, RecoveryPointVm } from "@esxbackup/domain";

export interface PointSummary {
  pointId: PointId;
  createdAt: Date;
  host: string;
  vm: RecoveryPointVm;
}

export type PreviousPoint = { pointId: PointId; matchedBy: "uuid" | "vmid-and-name" } | undefined;

export function findPreviousPoint(points: readonly PointSummary[], wanted: { host: string; vm: RecoveryPointVm }): PreviousPoint {
  const sameHost = points.filter((point) => point.host === wanted.host);
  const newest = (candidates: PointSummary[]): PointSummary | undefined =>
    candidates.reduce<PointSummary | undefined>((best, point) => (best === undefined || point.createdAt.getTime() > best.createdAt.getTime() ? point : best), undefined);
  if (wanted.vm.uuid !== undefined) {
    const byUuid = newest(sameHost.filter((point) => point.vm.uuid === wanted.vm.uuid));
    if (byUuid !== undefined) return { pointId: byUuid.pointId, matchedBy: "uuid" };
  }
  // A point that has a uuid of another VM is not this VM, whatever its vmid and name.
  const byId = newest(sameHost.filter((point) => point.vm.id === wanted.vm.id && point.vm.name === wanted.vm.name && (point.vm.uuid === undefined || wanted.vm.uuid === undefined)));
  return byId === undefined ? undefined : { pointId: byId.pointId, matchedBy: "vmid-and-name" };
}
