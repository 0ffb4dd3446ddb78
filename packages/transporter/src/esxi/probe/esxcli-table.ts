/**
 * The table esxcli prints for a `… list` command: a header, a dash line under it, one row per item
 * (`esxcli storage filesystem list`, esxi-facts 1.11; `esxcli network vswitch standard portgroup list`).
 * Columns are found from the dash line (each run of dashes is one column), not by splitting on blanks: a
 * cell may be empty or contain spaces. Rows may have lost their trailing blanks, and lines may end in CRLF.
 * Whether esxcli pads a cell by its characters or by its UTF-8 bytes is not confirmed (no sample with a
 * non-ASCII name): a row is read by characters, and one that does not fit that way but holds non-ASCII text
 * is read by bytes (the header and dash line are ASCII, so their offsets are both). A header other than
 * `headers`, or a row that fits neither way, is a HostOutputError quoting the line.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { outputLines, unexpectedLine, type OutputLine } from "../parsers/output-lines.js";

export interface EsxcliTableRow {
  /** One trimmed cell per header, in order. */
  readonly cells: readonly string[];
  readonly line: OutputLine;
}

interface Column {
  readonly start: number;
  readonly end: number;
}

export function readEsxcliTable(output: string, source: string, headers: readonly string[]): EsxcliTableRow[] {
  const lines = outputLines(output, source).filter((line) => line.text.trim() !== "");
  const [header, dashes, ...rows] = lines;
  if (header === undefined || dashes === undefined) throw new HostOutputError(source, "no header and dash line");
  if (!/^[- ]+$/u.test(dashes.text)) throw unexpectedLine(source, "expected the dash line under the header", dashes);
  const columns = [...dashes.text.matchAll(/-+/gu)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  // The header only says which table this is; the rows are cut by the dash line. A header whose labels
  // drifted off their columns (a capture that lost a few blanks on its way through a page) still names the
  // same columns in the same order, so it is recognised by its labels.
  const headerChars = [...header.text];
  const names = columns.map(({ start, end }) => headerChars.slice(start, end).join("").trim());
  const labels = header.text.trim().split(/\s{2,}/u);
  // The header is quoted inside the problem: backup runs report this message as the reason the datastore
  // room is unknown, and it reads best as "unexpected header …".
  if (names.join("|") !== headers.join("|") && labels.join("|") !== headers.join("|")) throw new HostOutputError(source, `unexpected header ${JSON.stringify(header.text)}`);
  return rows.map((line) => ({ cells: cellsOf(line, columns, source), line }));
}

function cellsOf(line: OutputLine, columns: readonly Column[], source: string): string[] {
  const byCharacters = cellsIn([...line.text], columns);
  if (byCharacters !== undefined) return byCharacters;
  // eslint-disable-next-line no-control-regex -- the ASCII range, not control characters
  const byBytes = /[^\u0000-\u007f]/u.test(line.text) ? cellsIn(Buffer.from(line.text, "utf8"), columns) : undefined;
  // A byte offset inside a character decodes to U+FFFD: that reading cut the row in the wrong places.
  if (byBytes !== undefined && !byBytes.some((cell) => cell.includes("\ufffd"))) return byBytes;
  const runsPast = [...line.text].slice(columns.at(-1)?.end ?? 0).join("").trim() !== "";
  throw unexpectedLine(source, runsPast ? "the row runs past the last column" : "the row does not fit the columns", line);
}

/** The row's cells at the columns' offsets in `units` (characters or bytes), or undefined when it does not fit. */
function cellsIn(units: readonly string[] | Buffer, columns: readonly Column[]): string[] | undefined {
  const text = (from: number, to?: number): string => (Buffer.isBuffer(units) ? units.subarray(from, to).toString("utf8") : units.slice(from, to).join(""));
  const cells: string[] = [];
  for (const [i, { start, end }] of columns.entries()) {
    // Between two columns there must be blanks; a character there means the row does not fit the layout.
    if (text(end, columns[i + 1]?.start ?? end).trim() !== "") return undefined;
    cells.push(text(start, end).trim());
  }
  if (text(columns.at(-1)?.end ?? 0).trim() !== "") return undefined;
  return cells;
}
