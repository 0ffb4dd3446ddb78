/**
 * `esxcli storage filesystem list` (esxi-facts 1.11 [verbatim] 6.7 and 8.0.2 samples): a header, a dash
 * line under it, one row per mounted volume. Columns are found from the dash line (each run of dashes is
 * one column), not by splitting on blanks: a volume name may be empty or contain spaces. Rows may have lost
 * their trailing blanks. Widths count characters, not bytes.
 */
import { InvalidInputError } from "@esxbackup/domain";

export interface MountedFilesystem {
  mountPoint: string;
  /** Empty for unnamed system volumes. */
  volumeName: string;
  uuid: string;
  mounted: boolean;
  /** `VMFS-6`, `VMFS-5`, `NFS`, `vfat`, `VMFSOS`, … */
  type: string;
  sizeBytes: number;
  freeBytes: number;
}

const FIELD = "esxcli storage filesystem list output";
const HEADERS = ["Mount Point", "Volume Name", "UUID", "Mounted", "Type", "Size", "Free"];

export function parseFilesystemList(output: string): MountedFilesystem[] {
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  const [header, dashes, ...rows] = lines;
  if (header === undefined || dashes === undefined) throw new InvalidInputError(FIELD, "no header and dash line");
  if (!/^[- ]+$/u.test(dashes)) throw new InvalidInputError(FIELD, `expected the dash line under the header, got ${JSON.stringify(dashes)}`);
  const columns = [...dashes.matchAll(/-+/gu)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const headerChars = [...header];
  const names = columns.map(({ start, end }) => headerChars.slice(start, end).join("").trim());
  if (names.join("|") !== HEADERS.join("|")) throw new InvalidInputError(FIELD, `unexpected header ${JSON.stringify(header)}`);
  return rows.map((line) => parseRow(line, columns));
}

function parseRow(line: string, columns: { start: number; end: number }[]): MountedFilesystem {
  const chars = [...line];
  const cells = columns.map(({ start, end }, i) => {
    // Between two columns there must be blanks; a character there means the row does not fit the layout.
    const gap = chars.slice(end, columns[i + 1]?.start ?? end).join("");
    if (gap.trim() !== "") throw new InvalidInputError(FIELD, `row does not fit the columns: ${JSON.stringify(line)}`);
    return chars.slice(start, end).join("").trim();
  });
  if (chars.length > (columns.at(-1)?.end ?? 0) && chars.slice(columns.at(-1)?.end).join("").trim() !== "") {
    throw new InvalidInputError(FIELD, `row runs past the last column: ${JSON.stringify(line)}`);
  }
  const [mountPoint, volumeName, uuid, mounted, type, size, free] = cells as [string, string, string, string, string, string, string];
  if (!mountPoint.startsWith("/") || uuid === "" || type === "") throw new InvalidInputError(FIELD, `incomplete row ${JSON.stringify(line)}`);
  if (mounted !== "true" && mounted !== "false") throw new InvalidInputError(FIELD, `Mounted is neither true nor false in ${JSON.stringify(line)}`);
  return { mountPoint, volumeName, uuid, mounted: mounted === "true", type, sizeBytes: bytes(size, line), freeBytes: bytes(free, line) };
}

function bytes(text: string, line: string): number {
  if (!/^\d+$/u.test(text)) throw new InvalidInputError(FIELD, `size ${JSON.stringify(text)} is not a number of bytes in ${JSON.stringify(line)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new InvalidInputError(FIELD, `size ${text} is too large in ${JSON.stringify(line)}`);
  return value;
}

/** Volumes VMs can live on: VMFS and NFS datastores, not the boot banks (vfat) or OSDATA (VMFSOS/VMFS-L). */
export function isDatastore(filesystem: MountedFilesystem): boolean {
  return /^(VMFS-\d+|NFS\d*)$/u.test(filesystem.type) && filesystem.mounted;
}
