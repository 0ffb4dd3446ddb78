/** `.vmsd` as written by ESXi (esxi-facts 2.4): the snapshot list; empty when there are no snapshots. */
import { vmFileBase, type VmRecord } from "./vm-record.js";
import { escapeVmxValue } from "./vmx-file.js";

export function renderVmsd(vm: VmRecord): string {
  const needConsolidate = (vm.unownedDeltas ?? 0) > 0;
  if (vm.snapshots.length === 0 && !needConsolidate) return "";
  const base = vmFileBase(vm);
  const last = vm.snapshots[vm.snapshots.length - 1];
  const lines = [`.encoding = "UTF-8"`, `snapshot.lastUID = "${vm.lastSnapshotUid}"`];
  if (last !== undefined) lines.push(`snapshot.current = "${last.uid}"`);
  if (needConsolidate) lines.push(`snapshot.needConsolidate = "TRUE"`);
  vm.snapshots.forEach((s, i) => {
    const us = BigInt(s.createdAtMs) * 1000n;
    lines.push(`snapshot${i}.uid = "${s.uid}"`, `snapshot${i}.filename = "${base}-Snapshot${s.uid}.vmsn"`);
    if (i > 0) lines.push(`snapshot${i}.parent = "${vm.snapshots[i - 1]?.uid ?? 0}"`);
    // Escaped as the .vmx escapes values (`"` → `|22`).
    lines.push(`snapshot${i}.displayName = "${escapeVmxValue(s.name)}"`);
    if (s.description !== "") lines.push(`snapshot${i}.description = "${escapeVmxValue(s.description)}"`);
    lines.push(`snapshot${i}.createTimeHigh = "${us >> 32n}"`, `snapshot${i}.createTimeLow = "${BigInt.asIntN(32, us & 0xffffffffn)}"`);
    lines.push(`snapshot${i}.numDisks = "${vm.disks.length}"`);
    vm.disks.forEach((d, k) => lines.push(`snapshot${i}.disk${k}.fileName = "${s.frozen[d.slot] ?? ""}"`, `snapshot${i}.disk${k}.node = "${d.slot}"`));
    if (i === 0) lines.push(`snapshot.numSnapshots = "${vm.snapshots.length}"`);
  });
  return `${lines.join("\n")}\n`;
}
