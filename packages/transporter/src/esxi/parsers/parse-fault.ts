/**
 * A fault in vim-cmd output (esxi-facts 1.10): vim-cmd prints a failed call's fault on stdout as a data
 * object whose type is the fault (`(vim.fault.NotFound) { … msg = "…" }`), possibly after a line of its
 * own (`Powering on VM:`), and its exit status cannot be relied on. So every vim-cmd output is checked
 * with this first. Inner quotes of `msg` are not escaped by the host and are returned as printed.
 */
import { outputLines } from "./output-lines.js";
import { opensVimObject, parseVimObject } from "./parse-vim-object.js";
import { vimText, type VimValue } from "./vim-value.js";

export interface VimFault {
  /** Full type as printed, e.g. `vim.fault.NotFound`, `vmodl.fault.ManagedObjectNotFound`. */
  readonly type: string;
  /** The last part of the type: `NotFound`. */
  readonly name: string;
  /** The `msg` field; undefined when the host printed none. */
  readonly message: string | undefined;
  /** Every field as printed (`faultCause`, `obj`, `existingState`, …). */
  readonly fields: Readonly<Record<string, VimValue>>;
}

const FAULT_TYPE = /^(?:vim|vmodl)\.(?:[\w.]+\.)?(?:fault\.\w+|\w*Fault)$/u;

/**
 * The fault in `text`, or undefined when the output holds none. A fault that starts but cannot be read
 * (cut off, malformed) raises HostOutputError: it is neither success nor a fault we can name.
 */
export function parseFault(text: string, source = "vim-cmd"): VimFault | undefined {
  const lines = outputLines(text, source);
  const start = lines.findIndex((l) => opensVimObject(l.text, (type) => FAULT_TYPE.test(type)));
  if (start < 0) return undefined;
  // Lines before the fault become blank rather than removed, so that errors keep the host's line numbers.
  const value = parseVimObject("\n".repeat(start) + lines.slice(start).map((l) => l.text).join("\n"), source);
  if (value.kind !== "object") return undefined;
  return { type: value.type, name: value.type.slice(value.type.lastIndexOf(".") + 1), message: vimText(value.fields["msg"]), fields: value.fields };
}
