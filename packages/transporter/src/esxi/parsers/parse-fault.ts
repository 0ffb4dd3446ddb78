/**
 * A fault in vim-cmd output (esxi-facts 1.10): vim-cmd prints a failed call's fault on stdout as a data
 * object whose type is the fault (`(vim.fault.NotFound) { … msg = "…" }`), possibly after a line of its
 * own (`Powering on VM:`), and its exit status cannot be relied on. So every vim-cmd output is checked
 * with this first. Inner quotes of `msg` are not escaped by the host and are returned as printed.
 *
 * The object may also open on the line that announces the failure: an ESXi 9.0 host printed
 * `Power on failed: (vim.fault.GenericVmConfigFault) {` and `Reset failed: (vim.fault.InvalidPowerState) {`
 * (a public transcript, fixtures `fault-power-on-9.0-verbatim.txt`), so a fault after a heading that ends
 * with `:` is found too.
 *
 * vim-cmd prints a fault instead of its result, so only its headings (`isHeadingLine`: `Powering on VM:`,
 * `Reset VM:`) come before it. What comes after the first other line is the command's result, and there
 * user text is printed raw: a VM's annotation in getallvms or a snapshot's description may hold a pasted
 * `Power on failed: (vim.fault.X) {` or a whole fault over several lines. Such a line is not a fault of the
 * command; reading it as one made the listing of every VM on the host fail.
 */
import { outputLines } from "./output-lines.js";
import { isHeadingLine, opensVimObject, parseVimObject } from "./parse-vim-object.js";
import { vimField, vimText, type VimValue } from "./vim-value.js";

export interface VimFault {
  /** Full type as printed, e.g. `vim.fault.NotFound`, `vmodl.fault.ManagedObjectNotFound`. */
  readonly type: string;
  /** The last part of the type: `NotFound`. */
  readonly name: string;
  /**
   * The host's words: the `msg` field, or when that is empty or absent the fault's `reason` (a
   * `SystemError` may carry `msg = ""` and say it there), else the `message` of each `faultMessage` entry
   * joined with "; ", else the words of its `faultCause` (the fault that caused it, same rules); undefined
   * when the host printed none of them.
   */
  readonly message: string | undefined;
  /** Every field as printed (`faultCause`, `obj`, `existingState`, …). */
  readonly fields: Readonly<Record<string, VimValue>>;
}

const FAULT_TYPE = /^(?:vim|vmodl)\.(?:[\w.]+\.)?(?:fault\.\w+|\w*Fault)$/u;
/** `<heading>: (type) {` — the object's opening after the text that announces the failure (`Power on failed:`). */
const AFTER_HEADING = /^.*:\s+(\(.*)$/u;

/**
 * The fault in `text`, or undefined when the output holds none. A fault that starts but cannot be read
 * (cut off, malformed) raises HostOutputError: it is neither success nor a fault we can name.
 */
export function parseFault(text: string, source = "vim-cmd"): VimFault | undefined {
  const lines = outputLines(text, source);
  let start = 0;
  let opening: string | undefined;
  for (; start < lines.length; start++) {
    const line = lines[start]?.text ?? "";
    opening = faultOpening(line);
    if (opening !== undefined) break;
    // The command's result has begun: whatever follows is that result, user text included, not a fault.
    if (line.trim() !== "" && !isHeadingLine(line)) return undefined;
  }
  if (opening === undefined) return undefined;
  // Lines before the fault become blank rather than removed, so that errors keep the host's line numbers.
  const value = parseVimObject("\n".repeat(start) + [opening, ...lines.slice(start + 1).map((l) => l.text)].join("\n"), source);
  if (value.kind !== "object") return undefined;
  return { type: value.type, name: value.type.slice(value.type.lastIndexOf(".") + 1), message: faultWords(value.fields), fields: value.fields };
}

/** The line from its fault object's opening `(vim.fault.X) {` on, or undefined when it opens none. */
function faultOpening(line: string): string | undefined {
  const isFault = (type: string): boolean => FAULT_TYPE.test(type);
  if (opensVimObject(line, isFault)) return line;
  const afterHeading = AFTER_HEADING.exec(line.trim())?.[1];
  return afterHeading !== undefined && opensVimObject(afterHeading, isFault) ? afterHeading : undefined;
}

/** The first of `msg`, `reason`, the `faultMessage` texts that says something, else its cause's words. */
function faultWords(fields: Readonly<Record<string, VimValue>>): string | undefined {
  const list = fields["faultMessage"];
  const messages = list?.kind === "list" ? list.items.map((item) => vimText(vimField(item, "message"))?.trim()).filter((m): m is string => m !== undefined && m !== "") : [];
  const candidates = [vimText(fields["msg"]), vimText(fields["reason"]), messages.join("; ")];
  const own = candidates.find((text): text is string => text !== undefined && text.trim() !== "");
  const cause = fields["faultCause"];
  return own ?? (cause?.kind === "object" ? faultWords(cause.fields) : undefined);
}
