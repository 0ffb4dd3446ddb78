/**
 * Quoting one argument for the host's shell (busybox ash, `/bin/sh -c "<command>"`). Kept in its own file
 * so that the SSH session layer's quoting can replace it in one place: the command builders here take the
 * quoting function as a parameter and never build a command from an unquoted string.
 *
 * Single quotes make every byte literal in a POSIX shell (`$`, backticks, `;`, `\`, newlines, non-ASCII);
 * only a single quote itself cannot appear inside them, so each one closes the quote, adds an escaped quote
 * and reopens: `it's` → `'it'\''s'`. A NUL byte cannot be passed in an argument at all, so it is refused.
 */
export type QuoteShellArgument = (argument: string) => string;

export const quoteShellArgument: QuoteShellArgument = (argument) => {
  if (argument.includes("\0")) throw new Error("a shell argument cannot contain a NUL byte");
  return `'${argument.replace(/'/gu, `'\\''`)}'`;
};
