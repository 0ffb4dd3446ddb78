/**
 * The `key = "value"` text shared by `.vmx` and `.vmsd` files (esxi-facts 2.2, 2.4). Keys are matched
 * without regard to case (hosts write `memSize` and `memsize`, `migrate.hostLog` and `migrate.hostlog`).
 * Values are unescaped: the host writes a character it cannot put between quotes as `|` and two hex
 * digits (`|22` for `"`, `|7C` for `|`, `|0A` for a newline); runs of such bytes are UTF-8.
 * Comments (`#`) and blank lines are skipped. The same key twice with different values is ambiguous and
 * refused; twice with the same value is harmless.
 */
import { outputLines, unexpectedLine, type OutputLine } from "./output-lines.js";

export interface VmxEntry {
  /** The key as written. */
  readonly key: string;
  /** Unescaped value. */
  readonly value: string;
  readonly line: OutputLine;
}

/** Entries by lower-cased key, in file order. */
export type VmxDictionary = ReadonlyMap<string, VmxEntry>;

const ENTRY = /^([^\s="#]+)\s*=\s*(.*?)\s*$/u;
const ESCAPES = /(?:\|[0-9A-Fa-f]{2})+/gu;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function readVmxDictionary(text: string, source: string): VmxDictionary {
  const entries = new Map<string, VmxEntry>();
  for (const line of outputLines(text, source)) {
    const t = line.text.trim();
    if (t === "" || t.startsWith("#")) continue;
    const m = ENTRY.exec(t);
    if (m?.[1] === undefined || m[2] === undefined) throw unexpectedLine(source, "expected 'key = \"value\"'", line);
    const raw = m[2];
    if (raw.startsWith('"') !== raw.endsWith('"') || raw === '"') throw unexpectedLine(source, "a value with an unmatched quote", line);
    const value = unescapeVmxValue(raw.startsWith('"') ? raw.slice(1, -1) : raw);
    const key = m[1].toLowerCase();
    const earlier = entries.get(key);
    if (earlier !== undefined && earlier.value !== value) throw unexpectedLine(source, `'${m[1]}' is set twice with different values (first on line ${earlier.line.number})`, line);
    if (earlier === undefined) entries.set(key, { key: m[1], value, line });
  }
  return entries;
}

function unescapeVmxValue(value: string): string {
  return value.replace(ESCAPES, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split("|"), (h) => parseInt(h, 16));
    try {
      return utf8.decode(bytes);
    } catch {
      // Not UTF-8: one character per byte, as a Latin-1 .vmx (no `.encoding`) would mean.
      return String.fromCharCode(...bytes);
    }
  });
}

/** A boolean value as the host writes them (`TRUE`/`FALSE`, any case); anything else is refused. */
export function vmxBoolean(entry: VmxEntry | undefined, source: string): boolean | undefined {
  if (entry === undefined) return undefined;
  const v = entry.value.trim().toLowerCase();
  if (v === "true" || v === "yes" || v === "1") return true;
  if (v === "false" || v === "no" || v === "0") return false;
  throw unexpectedLine(source, `'${entry.key}' is not TRUE or FALSE`, entry.line);
}
