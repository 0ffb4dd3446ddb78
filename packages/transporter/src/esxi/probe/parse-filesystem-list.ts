/**
 * `esxcli storage filesystem list` (esxi-facts 1.11 [verbatim] 6.7 and 8.0.2 samples): a header, a dash
 * line under it, one row per volume. Columns are found from the dash line (each run of dashes is
 * one column), not by splitting on blanks: a volume name may be empty or contain spaces. Rows may have lost
 * their trailing blanks, and lines may end in CRLF. Widths count characters, not bytes. Anything else is a
 * HostOutputError quoting the line.
 *
 * A VMFS volume unmounted with `esxcli storage filesystem unmount` stays listed with no mount point,
 * `Mounted` false and the type `VMFS-unknown version` (the VMware KB on unmounting a LUN shows such a
 * row); only an unmounted row may lack its mount point.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { outputLines, unexpectedLine, type OutputLine } from "../parsers/output-lines.js";

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

interface Column {
  readonly start: number;
  readonly end: number;
}

export function parseFilesystemList(output: string): MountedFilesystem[] {
  const lines = outputLines(output, FIELD).filter((line) => line.text.trim() !== "");
  const [header, dashes, ...rows] = lines;
  if (header === undefined || dashes === undefined) throw new HostOutputError(FIELD, "no header and dash line");
  if (!/^[- ]+$/u.test(dashes.text)) throw unexpectedLine(FIELD, "expected the dash line under the header", dashes);
  const columns = [...dashes.text.matchAll(/-+/gu)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const headerChars = [...header.text];
  const names = columns.map(({ start, end }) => headerChars.slice(start, end).join("").trim());
  // The header is quoted inside the problem: backup runs report this message as the reason the datastore
  // room is unknown, and it reads best as "unexpected header …".
  if (names.join("|") !== HEADERS.join("|")) throw new HostOutputError(FIELD, `unexpected header ${JSON.stringify(header.text)}`);
  return rows.map((line) => parseRow(line, columns));
}

function parseRow(line: OutputLine, columns: readonly Column[]): MountedFilesystem {
  const chars = [...line.text];
  const cells = columns.map(({ start, end }, i) => {
    // Between two columns there must be blanks; a character there means the row does not fit the layout.
    const gap = chars.slice(end, columns[i + 1]?.start ?? end).join("");
    if (gap.trim() !== "") throw unexpectedLine(FIELD, "the row does not fit the columns", line);
    return chars.slice(start, end).join("").trim();
  });
  if (chars.length > (columns.at(-1)?.end ?? 0) && chars.slice(columns.at(-1)?.end).join("").trim() !== "") {
    throw unexpectedLine(FIELD, "the row runs past the last column", line);
  }
  const [mountPoint, volumeName, uuid, mounted, type, size, free] = cells as [string, string, string, string, string, string, string];
  if (mounted !== "true" && mounted !== "false") throw unexpectedLine(FIELD, "Mounted is neither true nor false", line);
  const mountPointFits = mountPoint.startsWith("/") || (mountPoint === "" && mounted === "false");
  if (!mountPointFits || uuid === "" || type === "") throw unexpectedLine(FIELD, "incomplete row", line);
  return { mountPoint, volumeName, uuid, mounted: mounted === "true", type, sizeBytes: bytes(size, line), freeBytes: bytes(free, line) };
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
