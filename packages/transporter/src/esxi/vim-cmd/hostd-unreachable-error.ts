/**
 * vim-cmd ran but could not talk to hostd, the host's management agent that every vim-cmd call goes through
 * (restarting, overloaded, or its PID file stale). Nothing was done on the host, so the same call may work
 * a little later: retryable, like a lost connection, and not a fault of the VM or a parser's problem.
 * `line` is vim-cmd's own words, quoted.
 */
import { EsxiSshError } from "../ssh/esxi-ssh-errors.js";

export class HostdUnreachableError extends EsxiSshError {
  readonly retryable = true;
  readonly line: string;

  constructor(host: string, source: string, line: string) {
    super("hostd_unreachable", host, `${source}: vim-cmd could not reach hostd, the host's management agent (it may be restarting), and did nothing: ${JSON.stringify(line)}`);
    this.line = line;
  }
}
