/**
 * `vim-cmd vmsvc/getallvms` (esxi-facts 1.1). The output is a fixed-width table whose header labels are
 * centred in their columns, so the header never lines up with the data, and whose values may contain
 * anything a user can type: names with spaces and brackets, datastores with spaces, `:` or an empty name,
 * annotations over several lines (continuation lines start at column 0). Splitting on runs of blanks, as
 * ghettoVCB does, breaks on such names, so the column geometry is recovered instead:
 *
 * - each label sits at `start + floor((width - label length) / 2)` of its column and columns are joined
 *   by 3 spaces, so the header fixes every width up to one (odd/even) — at most 2^5 geometries;
 * - a row is a line whose separators are blank at those places and whose cells have their shape
 *   (digits, `[ds] path`, `vmx-NN`); lines that are not rows continue the annotation above;
 * - the geometry that reads the most rows is the table's (a wrong width cuts the longest value, making
 *   its row a continuation); among those, the ones whose widths are `max(label length, longest value)`
 *   win (without this, a column followed by a cell that starts with a blank reads as well one wider).
 *   That rule only breaks ties: a real ESXi 8.0 listing (parsers README) has a Guest OS column wider than
 *   every value it shows, and its header fixes that width all the same. Two readings left with as many
 *   rows and different values are refused.
 *
 * An annotation line crafted to look like a row under another geometry could still mislead this; the
 * duplicate-vmid check catches the plain copy. See docs/adr/0016.
 *
 * Whether the host counts widths in code points (the Python of esxi-facts 1.1) or in UTF-8 bytes (as a C
 * program padding with printf does) is not confirmed: every sample seen is ASCII. The two differ only on
 * rows with non-ASCII text, so both are tried and their readings pooled: a name like `Сервер 名前` lines up
 * under one of them, and the choice above holds across both. Trailing padding may be present or not.
 * `Skipping invalid VM 'N'` lines (VMs the host could not load) are reported wherever they appear.
 */
import { HostOutputError } from "./host-output-error.js";
import { outputLines, unexpectedLine, type OutputLine } from "./output-lines.js";

export interface GetAllVmsRow {
  /** hostd's inventory id, the argument of every `vmsvc/*` command. Digits only. */
  readonly vmid: string;
  readonly name: string;
  /** The `File` column as printed: `[<datastore>] <path>`. */
  readonly file: string;
  /** The datastore name, `""` for system VMs listed as `[] /var/run/...`. */
  readonly datastore: string;
  /** Path of the `.vmx` relative to the datastore (absolute when `datastore` is empty). */
  readonly vmxPath: string;
  readonly guestOs: string;
  /** Virtual hardware version as printed, `vmx-NN`. */
  readonly version: string;
  /** Lines joined with `\n`; trailing padding removed. */
  readonly annotation: string;
}

export interface GetAllVmsOutput {
  /** In the order printed (vmids sorted as strings by the host). */
  readonly vms: readonly GetAllVmsRow[];
  /** Vmids of `Skipping invalid VM 'N'` lines: registered VMs the host could not load. */
  readonly skippedVmids: readonly string[];
}

const LABELS = ["Vmid", "Name", "File", "Guest OS", "Version", "Annotation"] as const;
const COLUMN_SEPARATOR = "   ";
const HEADER = /^\s*Vmid\s+Name\s+File\s+Guest OS\s+Version\s+Annotation\s*$/u;
const SKIPPED = /^\s*Skipping invalid VM '(\d+)'\s*$/u;
const DATASTORE_FILE = /^\[(.*?)\] (.+)$/u;
/** A vmid (perhaps right-aligned), blanks, then a ` [datastore] path` and a `vmx-NN` cell: what every row looks like. */
const ROW_SHAPED = /^ *\d+ {2,}\S.* \[[^\]]*\] \S.* vmx-\d+(?: |$)/u;

interface Geometry {
  /** Start of each of the 6 columns, in the lines' units (code points or UTF-8 bytes). */
  readonly starts: readonly number[];
  /** Widths of the first 5 columns (the last column's does not matter for reading). */
  readonly widths: readonly number[];
}

interface TableRead {
  readonly rows: GetAllVmsRow[];
  readonly rowCount: number;
  /** Index in the body of each line read as a row; the other lines continue annotations. */
  readonly rowLines: ReadonlySet<number>;
  /** Every width is `max(label length, longest value)`, as the layout rule of esxi-facts 1.1 has it. */
  readonly widthsFitValues: boolean;
}

export function parseGetAllVms(text: string, source = "vim-cmd vmsvc/getallvms"): GetAllVmsOutput {
  const skippedVmids: string[] = [];
  const body: OutputLine[] = [];
  let header: OutputLine | undefined;
  for (const line of outputLines(text, source)) {
    const skipped = SKIPPED.exec(line.text);
    if (skipped?.[1] !== undefined) {
      skippedVmids.push(skipped[1]);
    } else if (header !== undefined) {
      body.push(line);
    } else if (HEADER.test(line.text)) {
      header = line;
    } else if (line.text.trim() !== "") {
      throw unexpectedLine(source, "expected the getallvms header (Vmid  Name  File  Guest OS  Version  Annotation)", line);
    }
  }
  if (header === undefined) throw new HostOutputError(source, "no getallvms header in the output");
  // With no VMs only the header is printed; a blank line after it is still no VM, not a row that fails.
  if (body.every((l) => l.text.trim() === "")) return { vms: [], skippedVmids };

  const reads: TableRead[] = [];
  const ascii = body.every((l) => Buffer.byteLength(l.text) === l.text.length);
  for (const units of ascii ? [codePoints] : [codePoints, utf8Bytes]) {
    const lines = body.map((l) => units(l.text));
    for (const geometry of candidateGeometries(header.text)) {
      const read = readTable(geometry, lines, (cell) => units(cell).length);
      if (read !== undefined) reads.push(read);
    }
  }
  if (reads.length === 0) {
    throw unexpectedLine(source, "the rows do not line up with the columns of the header", body[0] ?? header);
  }
  const most = Math.max(...reads.map((r) => r.rowCount));
  const mostRows = reads.filter((r) => r.rowCount === most);
  const fitting = mostRows.filter((r) => r.widthsFitValues);
  const best = fitting.length > 0 ? fitting : mostRows;
  const first = JSON.stringify(best[0]?.rows);
  if (best.some((r) => JSON.stringify(r.rows) !== first)) {
    throw unexpectedLine(source, "the table can be read in more than one way", header);
  }
  const chosen = best[0];
  const vms = chosen?.rows ?? [];
  // A line under a row with the shape of a row of its own (a vmid, a `[datastore] path`, a `vmx-NN`) that does
  // not line up is most likely a VM this reading cannot place: refused, rather than that VM silently dropped
  // into the annotation above it.
  const unplaced = body.find((l, index) => chosen?.rowLines.has(index) === false && ROW_SHAPED.test(l.text));
  if (unplaced !== undefined) throw unexpectedLine(source, "a line shaped like a VM's row does not line up with the columns of the header", unplaced);
  const seen = new Set<string>();
  for (const [i, vm] of vms.entries()) {
    // Two rows with one vmid: an annotation line shaped like a row, or output we do not understand.
    if (seen.has(vm.vmid)) throw new HostOutputError(source, `vmid ${vm.vmid} is listed twice (row ${i + 1})`);
    seen.add(vm.vmid);
  }
  return { vms, skippedVmids };
}

/**
 * The vmids of the `Skipping invalid VM 'N'` lines getallvms may print on stderr (which stream a host uses
 * is not confirmed, esxi-facts 1.1 and 7). Any other text there is output we do not understand.
 */
export function parseGetAllVmsStderr(text: string, source = "vim-cmd vmsvc/getallvms (stderr)"): string[] {
  const skippedVmids: string[] = [];
  for (const line of outputLines(text, source)) {
    const skipped = SKIPPED.exec(line.text);
    if (skipped?.[1] !== undefined) skippedVmids.push(skipped[1]);
    else if (line.text.trim() !== "") throw unexpectedLine(source, "expected only 'Skipping invalid VM' lines on stderr", line);
  }
  return skippedVmids;
}

/** A line as the host may count it: one unit per code point. */
function codePoints(text: string): string[] {
  return Array.from(text);
}

/**
 * A line as the host may count it: one unit per UTF-8 byte — a code point followed by an empty unit for
 * each of its further bytes, so that slicing and joining units gives back whole characters, and a
 * separator that falls inside a character is not blank.
 */
function utf8Bytes(text: string): string[] {
  return Array.from(text).flatMap((c) => [c, ...Array.from({ length: Buffer.byteLength(c) - 1 }, () => "")]);
}

/** Every column geometry the centred header allows (each width is known up to one). */
function candidateGeometries(headerText: string): Geometry[] {
  const labelStarts: number[] = [];
  let from = 0;
  for (const label of LABELS) {
    const at = headerText.indexOf(label, from);
    labelStarts.push(at);
    from = at + label.length;
  }
  const out: Geometry[] = [];
  const walk = (column: number, starts: number[], widths: number[]): void => {
    const start = starts[column] ?? 0;
    const pad = (labelStarts[column] ?? 0) - start;
    if (pad < 0) return;
    if (column === LABELS.length - 1) {
      out.push({ starts, widths });
      return;
    }
    const base = (LABELS[column] ?? "").length + 2 * pad;
    for (const width of [base, base + 1]) walk(column + 1, [...starts, start + width + COLUMN_SEPARATOR.length], [...widths, width]);
  };
  walk(0, [0], []);
  return out;
}

/** The table as read with one geometry (`width` measures a cell in the lines' units), or undefined when the geometry does not fit it. */
function readTable(g: Geometry, lines: readonly string[][], width: (cell: string) => number): TableRead | undefined {
  const rows: { cells: string[]; annotation: string[] }[] = [];
  const rowLines = new Set<number>();
  for (const [index, chars] of lines.entries()) {
    const cells = rowCells(g, chars);
    if (cells !== undefined) {
      rows.push({ cells, annotation: [cells[5] ?? ""] });
      rowLines.add(index);
    } else {
      const last = rows[rows.length - 1];
      if (last === undefined) return undefined;
      last.annotation.push(chars.join(""));
    }
  }
  const widthsFitValues = g.widths.every((w, column) => w === Math.max(LABELS[column]?.length ?? 0, ...rows.map((r) => width(r.cells[column] ?? ""))));
  return {
    rowCount: rows.length,
    rowLines,
    widthsFitValues,
    rows: rows.map(({ cells, annotation }) => {
      const [vmid = "", name = "", file = "", guestOs = "", version = ""] = cells;
      const m = DATASTORE_FILE.exec(file);
      const lastLine = annotation.length - 1;
      return {
        vmid,
        name,
        file,
        datastore: m?.[1] ?? "",
        vmxPath: m?.[2] ?? "",
        guestOs,
        version,
        annotation: annotation.map((l, i) => (i === lastLine ? withoutPadding(l) : l)).join("\n"),
      };
    }),
  };
}

/** A cell without the blanks that pad it: spaces only, so that a tab the user typed at the end stays. */
function withoutPadding(cell: string): string {
  return cell.replace(/ +$/u, "");
}

/** The 6 cells of a row (values without padding), or undefined when the line is not a row. */
function rowCells(g: Geometry, chars: readonly string[]): string[] | undefined {
  const cells: string[] = [];
  for (let column = 0; column < g.widths.length; column++) {
    const start = g.starts[column] ?? 0;
    const end = start + (g.widths[column] ?? 0);
    const separator = chars.slice(end, end + COLUMN_SEPARATOR.length);
    if (separator.some((c) => c !== " ")) return undefined;
    cells.push(withoutPadding(chars.slice(start, end).join("")));
  }
  cells.push(chars.slice(g.starts[5] ?? 0).join(""));
  const [vmid = "", name = "", file = "", guestOs = "", version = ""] = cells;
  const fits = /^\d+$/u.test(vmid) && name.trim() !== "" && DATASTORE_FILE.test(file) && /^\S*$/u.test(guestOs) && /^vmx-\d+$/u.test(version);
  return fits ? cells : undefined;
}
