/**
 * `esxcli storage filesystem list` (esxi-facts 1.11 [verbatim] 6.7 and 8.0.2 samples): esxcli's table
 * (esxcli-table.ts), one row per volume; a volume name may be empty or contain spaces. Anything else is a
 * HostOutputError quoting the line.
 *
 * A VMFS volume unmounted with `esxcli storage filesystem unmount` stays listed with no mount point,
 * `Mounted` false and the type `VMFS-unknown version` (the VMware KB on unmounting a LUN shows such a
 * row); only an unmounted row may lack its mount point.
 */
import { unexpectedLine, type OutputLine } from "../parsers/output-lines.js";
import { readEsxcliTable } from "./esxcli-table.js";

export interface MountedFilesystem {
  /** Empty for an unmounted volume (`mounted` false), which has no mount point. */
  mountPoint: string;
  /** Empty for unnamed system volumes. */
  volumeName: string;
  uuid: string;
  mounted: boolean;
  /** `VMFS-6`, `VMFS-5`, `NFS`, `NFS41`, `vfat`, `VMFSOS`, `VMFS-unknown version` (unmounted), … */
  type: string;
  sizeBytes: number;
  freeBytes: number;
}

const FIELD = "esxcli storage filesystem list output";
const HEADERS = ["Mount Point", "Volume Name", "UUID", "Mounted", "Type", "Size", "Free"];

export function parseFilesystemList(output: string): MountedFilesystem[] {
  return readEsxcliTable(output, FIELD, HEADERS).map(({ cells, line }) => {
    const [mountPoint, volumeName, uuid, mounted, type, size, free] = cells as [string, string, string, string, string, string, string];
    if (mounted !== "true" && mounted !== "false") throw unexpectedLine(FIELD, "Mounted is neither true nor false", line);
    const mountPointFits = mountPoint.startsWith("/") || (mountPoint === "" && mounted === "false");
    if (!mountPointFits || uuid === "" || type === "") throw unexpectedLine(FIELD, "incomplete row", line);
    return { mountPoint, volumeName, uuid, mounted: mounted === "true", type, sizeBytes: bytes(size, line), freeBytes: bytes(free, line) };
  });
}

function bytes(text: string, line: OutputLine): number {
  if (!/^\d+$/u.test(text)) throw unexpectedLine(FIELD, `size ${JSON.stringify(text)} is not a number of bytes`, line);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw unexpectedLine(FIELD, `size ${text} is too large`, line);
  return value;
}

/** Volumes VMs can live on: VMFS and NFS datastores, not the boot banks (vfat) or OSDATA (VMFSOS/VMFS-L). */
export function isDatastore(filesystem: MountedFilesystem): boolean {
  return /^(VMFS-\d+|NFS\d*)$/u.test(filesystem.type) && filesystem.mounted;
}
