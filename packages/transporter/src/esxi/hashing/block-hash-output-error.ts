import { EsxbackupError } from "@esxbackup/domain";

/**
 * The host's fingerprint output is not what the script prints: a line that is neither a digest of the
 * expected length nor `Z`, too few or too many lines, or a last line without its newline (output cut off).
 * Nothing from such output is used. `line` is the offending line as received, undefined when lines are missing.
 */
export class BlockHashOutputError extends EsxbackupError {
  readonly lineNumber: number;
  readonly line: string | undefined;

  constructor(lineNumber: number, line: string | undefined, problem: string) {
    super("host_output_invalid", `fingerprint output line ${lineNumber}: ${problem}${line === undefined ? "" : ` (got ${JSON.stringify(line.slice(0, 120))})`}`);
    this.lineNumber = lineNumber;
    this.line = line;
  }
}
