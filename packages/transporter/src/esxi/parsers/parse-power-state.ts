/**
 * `vim-cmd vmsvc/power.getstate <vmid>` (esxi-facts 1.2): `Retrieved runtime info` then the state on the
 * last line — `Powered on`, `Powered off` or `Suspended` (ghettoVCB reads it with `tail -1`). A fault for
 * an unknown vmid is found by `parseFault`, which callers run on every vim-cmd output first.
 */
import { HostOutputError } from "./host-output-error.js";
import { outputLines, unexpectedLine } from "./output-lines.js";

export type VmPowerState = "poweredOn" | "poweredOff" | "suspended";

const STATES: Record<string, VmPowerState> = { "powered on": "poweredOn", "powered off": "poweredOff", suspended: "suspended" };

export function parsePowerState(text: string, source = "vim-cmd vmsvc/power.getstate"): VmPowerState {
  const lines = outputLines(text, source).filter((l) => l.text.trim() !== "");
  const last = lines[lines.length - 1];
  if (last === undefined) throw new HostOutputError(source, "empty output, expected a power state");
  for (const line of lines.slice(0, -1)) {
    if (line.text.trim() !== "Retrieved runtime info") throw unexpectedLine(source, "expected 'Retrieved runtime info'", line);
  }
  const state = STATES[last.text.trim().toLowerCase()];
  if (state === undefined) throw unexpectedLine(source, "not a power state (Powered on, Powered off, Suspended)", last);
  return state;
}
