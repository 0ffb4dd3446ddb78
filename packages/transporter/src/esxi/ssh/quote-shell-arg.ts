/**
 * Quoting for the host's shell (busybox ash, esxi-facts §4): every byte of an argument reaches the command
 * unchanged, whatever it contains — spaces, both quotes, `$`, `;`, backticks, brackets, globs, newlines,
 * non-ASCII. Single quotes are the one ash form in which nothing is special; a single quote inside is written
 * as `'\''` (close, escaped quote, reopen).
 */
import { InvalidInputError } from "@esxbackup/domain";

/**
 * Left bare because no shell reading gives them a meaning. `=` is excluded (a first word `a=b` would be an
 * assignment), as are `~` (tilde expansion) and `%`/`^` (job specs and history in other shells).
 */
const BARE = /^[A-Za-z0-9_./:@,+-]+$/u;

/** One argument, quoted so that busybox ash passes it through as exactly one word. */
export function quoteShellArg(value: string): string {
  // A NUL cannot be passed in an argv string at all; refusing it is better than truncating a path.
  if (value.includes("\0")) throw new InvalidInputError("shell argument", "contains a NUL byte, which no command argument can hold");
  if (BARE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
