/**
 * vim-cmd's data-object dumps (esxi-facts 0 and 1.0): `(vim.X) { name = value, … }`, lists
 * `(vim.X) [ … ]`, `"strings"`, `'references'`, numbers, `true`/`false`, `<unset>`, `(vim.X) null`.
 *
 * The structure comes from the brackets, never from indentation (3 spaces on 6.x+, 2 on 4.x, tabs in some
 * dumps). Line ends vary by release and by source: `,`, `, ` (7.0+ and 5.0), or nothing on a last field —
 * and sometimes nothing on a field that is not last (`faultMessage = <unset>`) — so a trailing comma and
 * blanks are optional everywhere. Strings are not escaped by the host (`"… corresponding to "2""`): a
 * string runs to the last double quote of its line, or over several lines until a line ends with one —
 * and where what follows that line could not follow a value (the object's next field or `}`, the list's
 * next item or `]`, the end of the output), the quote is the user's and the string goes on: an annotation
 * line `Owner: "ops"` is followed by more of the annotation, not by a field.
 * Heading lines such as `Devices:`, `Guest information:` or `Runtime information` (get.runtime's, without a
 * colon: an ESXi 5.5 capture) before the dump are skipped; anything after the closing bracket other than
 * blank lines is an error.
 */
import { HostOutputError } from "./host-output-error.js";
import { outputLines, unexpectedLine, type OutputLine } from "./output-lines.js";
import type { VimValue } from "./vim-value.js";

/** A few words, perhaps ending with a colon. */
const HEADING_LINE = /^[A-Za-z][A-Za-z0-9 .'-]*:?$/u;
const TYPE = String.raw`\(([A-Za-z_][\w.]*)\)`;
const OPEN_OBJECT = new RegExp(`^${TYPE} \\{$`, "u");
const EMPTY_OBJECT = new RegExp(`^${TYPE} \\{\\s*\\}$`, "u");
const OPEN_LIST = new RegExp(`^${TYPE} \\[$`, "u");
const EMPTY_LIST = new RegExp(`^${TYPE} \\[\\s*\\]$`, "u");
const NULL = new RegExp(`^${TYPE} null$`, "u");
const FIELD = /^([A-Za-z_]\w*) = (.*)$/u;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/u;
/** The start of a list item: a data object or list, a string, a reference, a number, `<unset>`, a boolean. */
const LIST_ITEM = /^(?:\(|"|'|-?\d|<unset>$|true$|false$)/u;

/** What holds a value: it decides what may follow the value. */
type Container = "object" | "list";

export function parseVimObject(text: string, source = "vim-cmd"): VimValue {
  const lines = outputLines(text, source);
  let at = 0;
  while (at < lines.length && (lines[at]?.text.trim() === "" || isHeadingLine(lines[at]?.text ?? ""))) at++;
  const first = lines[at];
  if (first === undefined) {
    // The host's last words are the likeliest to say why there is no dump.
    const said = lines.findLast((l) => l.text.trim() !== "");
    throw said === undefined ? new HostOutputError(source, "no data object in the output") : unexpectedLine(source, "no data object in the output", said);
  }
  const reader = new VimReader(lines, source, at);
  const value = reader.value(first.text.trimStart(), first, "object");
  if (value.kind !== "object" && value.kind !== "list") throw unexpectedLine(source, "expected '(type) {' or '(type) ['", first);
  reader.expectOnlyBlankLines();
  return value;
}

/**
 * Whether a line is one vim-cmd prints of its own before a result or a fault: a few words, most often ending
 * with a colon (`Listsummary:`, `Powering on VM:`, `Get Snapshot:`), not always (`Runtime information`).
 */
export function isHeadingLine(line: string): boolean {
  return HEADING_LINE.test(line.trim());
}

/** Whether a line opens a data object of a type that `accept` likes; for callers that look for a dump inside other output. */
export function opensVimObject(line: string, accept: (type: string) => boolean): boolean {
  const m = OPEN_OBJECT.exec(withoutLineEnd(line.trim()));
  return m?.[1] !== undefined && accept(m[1]);
}

/** A line without its trailing blanks and one optional trailing comma. */
function withoutLineEnd(text: string): string {
  const t = text.trimEnd();
  return t.endsWith(",") ? t.slice(0, -1).trimEnd() : t;
}

class VimReader {
  readonly #lines: readonly OutputLine[];
  readonly #source: string;
  /** Index of the line being read. */
  #at: number;

  constructor(lines: readonly OutputLine[], source: string, at: number) {
    this.#lines = lines;
    this.#source = source;
    this.#at = at;
  }

  /** Reads the value that starts with `text` on the current line, held by `within`; leaves #at on the value's last line. */
  value(text: string, line: OutputLine, within: Container): VimValue {
    if (text.startsWith('"')) return this.#string(text, within);
    const t = withoutLineEnd(text);
    const typeIn = (re: RegExp): string | undefined => re.exec(t)?.[1];
    if (t === "<unset>") return { kind: "unset" };
    if (t === "true" || t === "false") return { kind: "boolean", value: t === "true" };
    let type: string | undefined;
    if ((type = typeIn(NULL)) !== undefined) return { kind: "null", type };
    if ((type = typeIn(EMPTY_OBJECT)) !== undefined) return { kind: "object", type, fields: {} };
    if ((type = typeIn(EMPTY_LIST)) !== undefined) return { kind: "list", type, items: [] };
    if ((type = typeIn(OPEN_OBJECT)) !== undefined) return this.#object(type);
    if ((type = typeIn(OPEN_LIST)) !== undefined) return this.#list(type);
    if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) return { kind: "ref", value: t.slice(1, -1) };
    if (NUMBER.test(t)) {
      const value = Number(t);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw unexpectedLine(this.#source, "a number too large to read exactly", line);
      return { kind: "number", value };
    }
    throw unexpectedLine(this.#source, "not a vim-cmd value", line);
  }

  expectOnlyBlankLines(): void {
    for (const line of this.#lines.slice(this.#at + 1)) if (line.text.trim() !== "") throw unexpectedLine(this.#source, "text after the end of the data object", line);
  }

  #next(what: string): OutputLine {
    this.#at++;
    const line = this.#lines[this.#at];
    if (line === undefined) throw new HostOutputError(this.#source, `the output ends inside ${what}`);
    return line;
  }

  #object(type: string): VimValue {
    const fields: Record<string, VimValue> = {};
    for (;;) {
      const line = this.#next(`(${type}) { … }`);
      // Trailing blanks kept: they may belong to the first line of a string that goes on to the next.
      const text = line.text.trimStart();
      if (withoutLineEnd(text) === "}") return { kind: "object", type, fields };
      const m = FIELD.exec(text);
      if (m?.[1] === undefined || m[2] === undefined) throw unexpectedLine(this.#source, `expected 'name = value' or '}' in (${type})`, line);
      const name = m[1];
      if (name === "__proto__" || Object.hasOwn(fields, name)) throw unexpectedLine(this.#source, `field '${name}' twice in one object`, line);
      const value = this.value(m[2], line, "object");
      if (!(name === "dynamicType" && value.kind === "unset")) fields[name] = value;
    }
  }

  #list(type: string): VimValue {
    const items: VimValue[] = [];
    for (;;) {
      const line = this.#next(`(${type}) [ … ]`);
      const text = line.text.trimStart();
      if (withoutLineEnd(text) === "]") return { kind: "list", type, items };
      if (FIELD.test(text) && !text.startsWith('"')) throw unexpectedLine(this.#source, `a field where a list item of (${type}) was expected`, line);
      items.push(this.value(text, line, "list"));
    }
  }

  /**
   * `text` starts with the opening quote. The string ends at the last quote of a line when what follows can
   * follow a value in `within`; else that quote is part of the text.
   */
  #string(text: string, within: Container): VimValue {
    const parts: string[] = [];
    let rest = text.slice(1);
    for (;;) {
      const trimmed = withoutLineEnd(rest);
      if (trimmed.endsWith('"') && this.#followsValue(within)) {
        parts.push(trimmed.slice(0, -1));
        return { kind: "string", value: parts.join("\n") };
      }
      parts.push(rest);
      rest = this.#next("a string").text;
    }
  }

  /**
   * Whether the lines after the current one can come after a complete value in `within`: its closing
   * bracket, the object's next field, the list's next item, or nothing but blank lines to the end. A blank
   * line inside a dump is never the host's own, so it belongs to a string.
   */
  #followsValue(within: Container): boolean {
    const next = this.#lines[this.#at + 1];
    if (next === undefined) return true;
    if (next.text.trim() === "") return this.#lines.slice(this.#at + 1).every((l) => l.text.trim() === "");
    const t = withoutLineEnd(next.text.trim());
    return within === "object" ? t === "}" || FIELD.test(t) : t === "]" || LIST_ITEM.test(t);
  }
}
