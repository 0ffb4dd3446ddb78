/**
 * A vim-cmd call that printed a fault (esxi-facts 1.10) instead of its result: the host understood the
 * request and refused it (`vim.fault.NotFound` for a VM unregistered meanwhile, …). Not retried: the same
 * call gets the same fault. `source` names the command and what it was about.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { VimFault } from "../parsers/parse-fault.js";

export class VimFaultError extends EsxbackupError {
  readonly fault: VimFault;
  readonly source: string;

  constructor(source: string, fault: VimFault) {
    super("vim_fault", `${source}: the host answered with ${fault.type}${fault.message === undefined ? "" : `: ${fault.message}`}`);
    this.fault = fault;
    this.source = source;
  }
}
