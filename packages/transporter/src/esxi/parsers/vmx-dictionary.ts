/**
 * The `key = "value"` text shared by `.vmx` and `.vmsd` files (esxi-facts 2.2, 2.4). Keys are matched
 * without regard to case (hosts write `memSize` and `memsize`, `migrate.hostLog` and `migrate.hostlog`).
 * Values are unescaped: the host writes a character it cannot put between quotes as `|` and two hex
 * digits (`|22` for `"`, `|7C` for `|`, `|0A` for a newline); runs of such bytes are characters of the
 * file's `.encoding` (UTF-8 when it names none), and bytes that are not are refused.
 * Comments (`#`) and blank lines are skipped. The same key twice with different values is ambiguous and
 * refused; twice with the same value is harmless. (VMware's own reader refuses a file with a key twice
 * even with the same value, in any case: `msg.autoanswer` and `msg.autoAnswer` made a VM fail to open,
 * hashicorp/vagrant#2597, cloudfoundry-attic/bosh-lite#61; such a file is never a registered VM's.)
 *
 * Text from a host file's bytes comes through `decodeVmxFile`, which honours the same `.encoding`.
 */
import { TextDecoder } from "node:util";
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

export function readVmxDictionary(text: string, source: string): VmxDictionary {
  const raws: { key: string; raw: string; line: OutputLine }[] = [];
  for (const line of outputLines(text, source)) {
    const t = line.text.trim();
    if (t === "" || t.startsWith("#")) continue;
    const m = ENTRY.exec(t);
    if (m?.[1] === undefined || m[2] === undefined) throw unexpectedLine(source, "expected 'key = \"value\"'", line);
    const raw = m[2];
    if (raw.startsWith('"') !== raw.endsWith('"') || raw === '"') throw unexpectedLine(source, "a value with an unmatched quote", line);
    raws.push({ key: m[1], raw: raw.startsWith('"') ? raw.slice(1, -1) : raw, line });
  }
  const declared = raws.find((entry) => entry.key.toLowerCase() === ".encoding");
  const escapedBytes = escapedBytesDecoder(declared);
  const entries = new Map<string, VmxEntry>();
  for (const { key: written, raw, line } of raws) {
    const value = unescapeVmxValue(raw, escapedBytes, source, line);
    const key = written.toLowerCase();
    const earlier = entries.get(key);
    if (earlier !== undefined && earlier.value !== value) throw unexpectedLine(source, `'${written}' is set twice with different values (first on line ${earlier.line.number})`, line);
    if (earlier === undefined) entries.set(key, { key: written, value, line });
  }
  return entries;
}

/** The decoder of escaped bytes: the file's `.encoding`, or undefined when this program cannot read that set. */
function escapedBytesDecoder(declared: { raw: string } | undefined): { label: string; decoder: TextDecoder | undefined } {
  const label = declared?.raw ?? "UTF-8";
  try {
    return { label, decoder: new TextDecoder(label, { fatal: true }) };
  } catch {
    return { label, decoder: undefined };
  }
}

function unescapeVmxValue(value: string, escaped: { label: string; decoder: TextDecoder | undefined }, source: string, line: OutputLine): string {
  return value.replace(ESCAPES, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split("|"), (h) => parseInt(h, 16));
    // The host escapes ASCII (quotes, '|', '#', control characters); ASCII is the same in every set.
    if (bytes.every((byte) => byte < 0x80)) return String.fromCharCode(...bytes);
    if (escaped.decoder === undefined) throw unexpectedLine(source, `escaped bytes of the character set '${escaped.label}', which this program cannot read`, line);
    try {
      return escaped.decoder.decode(bytes);
    } catch {
      throw unexpectedLine(source, `escaped bytes that are not ${escaped.label}`, line);
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
