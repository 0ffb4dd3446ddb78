/**
 * The table esxcli prints for a `… list` command: a header, a dash line under it, one row per item
 * (`esxcli storage filesystem list`, esxi-facts 1.11; `esxcli network vswitch standard portgroup list`).
 * Columns are found from the dash line (each run of dashes is one column), not by splitting on blanks: a
 * cell may be empty or contain spaces. Rows may have lost their trailing blanks, and lines may end in CRLF.
 * Widths count characters, not bytes. A header other than `headers`, or a row that does not fit the
 * columns, is a HostOutputError quoting the line.
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
  const headerChars = [...header.text];
  const names = columns.map(({ start, end }) => headerChars.slice(start, end).join("").trim());
  // The header is quoted inside the problem: backup runs report this message as the reason the datastore
  // room is unknown, and it reads best as "unexpected header …".
  if (names.join("|") !== headers.join("|")) throw new HostOutputError(source, `unexpected header ${JSON.stringify(header.text)}`);
  return rows.map((line) => ({ cells: cellsOf(line, columns, source), line }));
}

function cellsOf(line: OutputLine, columns: readonly Column[], source: string): string[] {
  const chars = [...line.text];
  const cells = columns.map(({ start, end }, i) => {
    // Between two columns there must be blanks; a character there means the row does not fit the layout.
    const gap = chars.slice(end, columns[i + 1]?.start ?? end).join("");
    if (gap.trim() !== "") throw unexpectedLine(source, "the row does not fit the columns", line);
    return chars.slice(start, end).join("").trim();
  });
  if (chars.length > (columns.at(-1)?.end ?? 0) && chars.slice(columns.at(-1)?.end).join("").trim() !== "") {
    throw unexpectedLine(source, "the row runs past the last column", line);
  }
  return cells;
}
