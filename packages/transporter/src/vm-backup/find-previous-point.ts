/**
 * Which recovery point a VM's backup continues from: the newest point of the same VM from the same host.
 * The same VM is the same BIOS uuid when both have one (it survives renames and re-registration under a
 * new vmid); else the same vmid and the same name (a uuid-less VM, or a point made without one). Points of
 * other hosts never match: a vmid is only unique on its host. A uuid match is preferred to any
 * vmid-and-name match, however much newer. Says how it matched, for the report.
 *
 * "Newest" is the order of point ids, newest first (docs/adr/0031): the reference writer names a point by
 * the time it was begun, just after the VM's snapshot, so the order is that of the disk states the points
 * hold. The points are offered one at a time in that order and the search stops as soon as the answer
 * cannot change — at the first uuid match, or at the first vmid-and-name match when the VM has no uuid —
 * so a backup reads the manifests back to its VM's last point, not the repository's whole history. Only a
 * VM with no point yet (or only uuid-less ones while it has a uuid) reads them all. Any earlier point of
 * the VM is a sound base (unchanged blocks are found by comparing fingerprints); the choice only decides
 * how much is read again.
 */
import type { PointId, RecoveryPointVm } from "@esxbackup/domain";

export interface PointSummary {
  pointId: PointId;
  host: string;
  vm: RecoveryPointVm;
}

export type PreviousPoint = { pointId: PointId; matchedBy: "uuid" | "vmid-and-name" } | undefined;

/** `newestFirst` is consumed only as far as needed: the rest is never pulled (and never read). */
export async function findPreviousPoint(
  newestFirst: AsyncIterable<PointSummary> | Iterable<PointSummary>,
  wanted: { host: string; vm: RecoveryPointVm },
): Promise<PreviousPoint> {
  let byVmidAndName: PreviousPoint;
  for await (const point of newestFirst) {
    if (point.host !== wanted.host) continue;
    if (wanted.vm.uuid !== undefined && point.vm.uuid === wanted.vm.uuid) return { pointId: point.pointId, matchedBy: "uuid" };
    // A point that has a uuid of another VM is not this VM, whatever its vmid and name.
    const sameIdAndName = point.vm.id === wanted.vm.id && point.vm.name === wanted.vm.name && (point.vm.uuid === undefined || wanted.vm.uuid === undefined);
    if (sameIdAndName && byVmidAndName === undefined) {
      byVmidAndName = { pointId: point.pointId, matchedBy: "vmid-and-name" };
      // Without a uuid nothing can match better than this newest one; with one, an older uuid match would.
      if (wanted.vm.uuid === undefined) return byVmidAndName;
    }
  }
  return byVmidAndName;
}
