/**
 * The descriptor of a restored disk, given the original's adapter type and geometry. `vmkfstools -c` makes
 * every disk as a SCSI disk (`ddb.adapterType = "lsilogic"` and that adapter's geometry), and its `-a` option
 * is deprecated on newer releases (esxi-facts 4): an IDE disk restored so would report another CHS geometry
 * to the guest's BIOS, which old boot loaders do not survive. So the descriptor vmkfstools wrote gets the
 * point's values on its `ddb.adapterType` and `ddb.geometry.*` lines, edited in place, every other byte
 * kept — the edit VMware's own IDE/SCSI conversion makes by hand.
 *
 * Pure. Returns undefined when nothing is to change (the point recorded neither, or the descriptor already
 * says so). A value the point recorded that a descriptor line cannot hold as it is (an adapter type other
 * than letters and digits, a geometry that is not whole positive numbers) is left out, never written.
 */
import type { DiskGeometry } from "@esxbackup/domain";

export interface RecordedDiskShape {
  adapterType?: string;
  geometry?: DiskGeometry;
}

export function restoredDiskDescriptor(created: string, recorded: RecordedDiskShape): string | undefined {
  const wanted = new Map<string, string>();
  if (recorded.adapterType !== undefined && /^[A-Za-z0-9]+$/u.test(recorded.adapterType)) wanted.set("ddb.adaptertype", `ddb.adapterType = "${recorded.adapterType}"`);
  const geometry = recorded.geometry;
  if (geometry !== undefined && [geometry.cylinders, geometry.heads, geometry.sectors].every((n) => Number.isSafeInteger(n) && n > 0)) {
    wanted.set("ddb.geometry.cylinders", `ddb.geometry.cylinders = "${geometry.cylinders}"`);
    wanted.set("ddb.geometry.heads", `ddb.geometry.heads = "${geometry.heads}"`);
    wanted.set("ddb.geometry.sectors", `ddb.geometry.sectors = "${geometry.sectors}"`);
  }
  if (wanted.size === 0) return undefined;
  const newline = created.includes("\r\n") ? "\r\n" : "\n";
  const lines = created.split(/\r?\n/u);
  let lastDdb = -1;
  for (const [at, line] of lines.entries()) {
    const key = /^[ \t]*([^=#\s]+)[ \t]*=/u.exec(line)?.[1]?.toLowerCase();
    if (key === undefined || !key.startsWith("ddb.")) continue;
    lastDdb = at;
    const replacement = wanted.get(key);
    if (replacement === undefined) continue;
    lines[at] = replacement;
    wanted.delete(key);
  }
  // Lines the descriptor lacks go after its last ddb line (its end when it has none), in a fixed order.
  const missing = [...wanted.values()];
  const insertAt = lastDdb === -1 ? (lines.at(-1) === "" ? lines.length - 1 : lines.length) : lastDdb + 1;
  lines.splice(insertAt, 0, ...missing);
  const text = lines.join(newline);
  return text === created ? undefined : text;
}
