import { HostOutputError } from "./host-output-error.js";

/** One line of host output; `number` is 1-based, `text` has no line terminator (CR of a CRLF removed). */
export interface OutputLine {
  readonly number: number;
  readonly text: string;
}

/**
 * Splits host output into numbered lines. A final newline does not make an extra empty line. Output with a
 * NUL byte is binary (a flat extent or a sparse header read by mistake) and is refused here, once, for all
 * parsers, rather than half-parsed.
 */
export function outputLines(text: string, source: string): OutputLine[] {
  const raw = text.split("\n");
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  return raw.map((line, i) => {
    const t = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (t.includes("\u0000")) throw new HostOutputError(source, "binary data where text was expected", { lineNumber: i + 1, line: t.split("\u0000").join("\\0") });
    return { number: i + 1, text: t };
  });
}

/** The error for a line the parser cannot place. */
export function unexpectedLine(source: string, problem: string, line: OutputLine): HostOutputError {
  return new HostOutputError(source, problem, { lineNumber: line.number, line: line.text });
}
