/**
 * The snapshot tree printed by `vim-cmd vmsvc/snapshot.get` (`Get Snapshot:`), and after the same tree by
 * `snapshot.remove` (`Remove Snapshot:`) and `snapshot.revert` (`Revert Snapshot:`) — esxi-facts 0 and 1.3.
 *
 * A snapshot is a `<prefix>|-ROOT` or `<prefix>|-CHILD` line followed by labelled lines one level deeper;
 * depth n is `--` repeated n times. The labels keep the host's `Desciption` typo (the correct spelling is
 * accepted too), are padded unevenly (`Snapshot Id` has two spaces fewer) and may lose a trailing blank;
 * ESXi 4.x prints no `Snapshot Id`. `Created On` is `M/D/YYYY H:M:S` with only the year's digits fixed.
 * A description is user text printed raw, so it may run over several lines, empty ones included (as
 * annotations do, esxi-facts 0). Every release prints `Snapshot Created On` right after it, so every line
 * between `Snapshot Desciption` and its snapshot's `Created On` belongs to it, even one shaped like a marker
 * or another label (a description that quotes a snapshot tree). Blank lines elsewhere are skipped; any other
 * line the grammar does not place is an error.
 */
import { HostOutputError } from "./host-output-error.js";
import { outputLines, unexpectedLine, type OutputLine } from "./output-lines.js";
import type { VmPowerState } from "./parse-power-state.js";

export type SnapshotTreeOperation = "get" | "remove" | "revert";
/** The power state a snapshot captured. */
export type SnapshotPowerState = VmPowerState;

export interface SnapshotTreeNode {
  readonly name: string;
  /** The `snapshot.remove` / `snapshot.revert` argument; undefined on hosts that print no id (ESX 4.x). */
  readonly id: number | undefined;
  readonly description: string;
  /** `Created On` read as UTC, the host's time zone unless someone changed it. */
  readonly createdAt: Date;
  /** Power state the snapshot captured. */
  readonly state: SnapshotPowerState;
  readonly children: readonly SnapshotTreeNode[];
}

export interface SnapshotTree {
  /** Which command printed the tree. */
  readonly operation: SnapshotTreeOperation;
  /** Top-level snapshots, in the order printed; empty when the VM has none. */
  readonly roots: readonly SnapshotTreeNode[];
}

const HEADER = /^(Get|Remove|Revert) Snapshot:\s*$/u;
const MARKER = /^((?:--)*)\|-(ROOT|CHILD)\s*$/u;
const FIELD = /^((?:--)+)Snapshot (Name|Id|Desciption|Description|Created On|State)\s*:(?: (.*))?$/u;
const CREATED_ON = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/u;
const STATES: Record<string, SnapshotPowerState> = { "powered on": "poweredOn", "powered off": "poweredOff", suspended: "suspended" };

interface OpenNode {
  readonly marker: OutputLine;
  readonly depth: number;
  readonly fields: Map<string, string>;
  readonly children: OpenNode[];
}

export function parseSnapshotTree(text: string, source = "vim-cmd vmsvc/snapshot.get"): SnapshotTree {
  const lines = outputLines(text, source);
  const firstIndex = lines.findIndex((l) => l.text.trim() !== "");
  const first = lines[firstIndex];
  const rest = lines.slice(firstIndex + 1);
  const header = first === undefined ? undefined : HEADER.exec(first.text);
  if (first === undefined || header?.[1] === undefined) {
    throw first === undefined ? new HostOutputError(source, "empty output, expected 'Get Snapshot:'") : unexpectedLine(source, "expected 'Get Snapshot:', 'Remove Snapshot:' or 'Revert Snapshot:'", first);
  }
  const roots: OpenNode[] = [];
  /** The chain from a root to the node whose lines are being read; index = depth. */
  const path: OpenNode[] = [];
  let lastField: string | undefined;
  for (const line of rest) {
    const reading = path[path.length - 1];
    if (reading !== undefined && lastField === "Desciption" && !isCreatedOnOf(reading, line)) {
      reading.fields.set(lastField, `${reading.fields.get(lastField) ?? ""}\n${line.text}`);
      continue;
    }
    const marker = MARKER.exec(line.text);
    if (marker?.[1] !== undefined) {
      const depth = marker[1].length / 2;
      const isRoot = marker[2] === "ROOT";
      if (isRoot !== (depth === 0) || depth > path.length) throw unexpectedLine(source, isRoot ? "a ROOT snapshot below the top level" : "a CHILD snapshot without a parent", line);
      const node: OpenNode = { marker: line, depth, fields: new Map(), children: [] };
      path.length = depth;
      (depth === 0 ? roots : (path[depth - 1]?.children ?? roots)).push(node);
      path.push(node);
      lastField = undefined;
      continue;
    }
    const node = path[path.length - 1];
    const field = FIELD.exec(line.text);
    if (field?.[1] !== undefined && field[2] !== undefined) {
      const label = field[2] === "Description" ? "Desciption" : field[2];
      if (node === undefined || field[1].length / 2 !== node.depth + 1) throw unexpectedLine(source, "a snapshot field at the wrong depth", line);
      if (node.fields.has(label)) throw unexpectedLine(source, `a second 'Snapshot ${label}' for one snapshot`, line);
      node.fields.set(label, field[3] ?? "");
      lastField = label;
      continue;
    }
    if (line.text.trim() === "") continue;
    throw unexpectedLine(source, "not part of a snapshot tree", line);
  }
  return { operation: header[1].toLowerCase() as SnapshotTreeOperation, roots: roots.map((n) => closeNode(n, source)) };
}

/** Whether `line` is the `Snapshot Created On` line of `node`, the line that ends its description. */
function isCreatedOnOf(node: OpenNode, line: OutputLine): boolean {
  const field = FIELD.exec(line.text);
  return field?.[1] !== undefined && field[2] === "Created On" && field[1].length / 2 === node.depth + 1;
}

function closeNode(node: OpenNode, source: string): SnapshotTreeNode {
  const missing = (label: string): HostOutputError => unexpectedLine(source, `the snapshot has no 'Snapshot ${label}' line`, node.marker);
  const name = node.fields.get("Name");
  const createdOn = node.fields.get("Created On");
  const stateText = node.fields.get("State");
  if (name === undefined) throw missing("Name");
  if (createdOn === undefined) throw missing("Created On");
  if (stateText === undefined) throw missing("State");
  const idText = node.fields.get("Id");
  if (idText !== undefined && !/^\d+$/u.test(idText.trim())) throw unexpectedLine(source, `snapshot '${name}' has a non-numeric id '${idText}'`, node.marker);
  const state = STATES[stateText.trim().toLowerCase()];
  if (state === undefined) throw unexpectedLine(source, `snapshot '${name}' has an unknown state '${stateText}'`, node.marker);
  return {
    name,
    id: idText === undefined ? undefined : Number(idText.trim()),
    description: node.fields.get("Desciption") ?? "",
    createdAt: parseCreatedOn(createdOn.trim(), () => unexpectedLine(source, `snapshot '${name}' has an unreadable 'Created On' '${createdOn}'`, node.marker)),
    state,
    children: node.children.map((c) => closeNode(c, source)),
  };
}

function parseCreatedOn(text: string, fail: () => HostOutputError): Date {
  const m = CREATED_ON.exec(text);
  if (m === null) throw fail();
  const [month, day, year, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 2/30 over to 3/2; a date that does not round-trip was not a date.
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw fail();
  return at;
}
