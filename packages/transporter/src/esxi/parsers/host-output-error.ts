import { InvalidInputError } from "@esxbackup/domain";

/** Longest part of an offending line quoted in a message; host output lines can be arbitrarily long. */
const MAX_QUOTED_CHARS = 200;

/**
 * Output of an ESXi command or the text of a host file that a parser does not understand. Raised instead
 * of returning a guess: `source` names what was parsed (a command or a path), `lineNumber` (1-based) and
 * `line` quote the offending line when there is one, so the message alone is enough to file a bug with.
 * It is input from outside that cannot be accepted, so it is an `InvalidInputError` (`field` = `source`):
 * boundaries treat it as such and a task that meets it is not retried.
 */
export class HostOutputError extends InvalidInputError {
  readonly source: string;
  readonly problem: string;
  readonly lineNumber: number | undefined;
  readonly line: string | undefined;

  constructor(source: string, problem: string, at?: { lineNumber: number; line: string }) {
    const quoted = at === undefined ? "" : `, line ${at.lineNumber}: ${JSON.stringify(at.line.length > MAX_QUOTED_CHARS ? `${at.line.slice(0, MAX_QUOTED_CHARS)}…` : at.line)}`;
    super(source, `${problem}${quoted}`);
    this.source = source;
    this.problem = problem;
    this.lineNumber = at?.lineNumber;
    this.line = at?.line;
  }
}
