/**
 * `vim-cmd vmsvc/snapshot.get` (esxi-facts 1.3): `Get Snapshot:` then, per snapshot, a `|-ROOT` or
 * `|-CHILD` line and five labelled lines, all prefixed by `--` once per depth. Labels are padded to 21
 * characters before `: ` except `Snapshot Id` (2 fewer) and keep the `Desciption` typo. Dates are
 * `M/D/YYYY H:MM:SS`, month/day/hour unpadded, minutes and seconds padded ([UNCONFIRMED]: minute padding).
 * Only a linear chain is produced by this host (no revert), so several roots or siblings never occur.
 */
export interface SnapshotLine {
  name: string;
  id: number;
  description: string;
  createdAt: Date;
  state: "powered on" | "powered off" | "suspended";
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `M/D/YYYY H:MM:SS` in UTC (the host's time zone). */
export function formatSnapshotDate(at: Date): string {
  return `${at.getUTCMonth() + 1}/${at.getUTCDate()}/${at.getUTCFullYear()} ${at.getUTCHours()}:${pad2(at.getUTCMinutes())}:${pad2(at.getUTCSeconds())}`;
}

/** `Get Snapshot:` and the tree; `chain` is oldest first, each the parent of the next. */
export function renderSnapshotGet(chain: readonly SnapshotLine[]): string {
  return renderSnapshotTree("Get Snapshot:", chain);
}

/**
 * A header line and the tree in snapshot.get's format: `snapshot.remove` (`Remove Snapshot:`) and
 * `snapshot.revert` (`Revert Snapshot:`) print the tree that remains after them (esxi-facts §0).
 */
export function renderSnapshotTree(header: string, chain: readonly SnapshotLine[]): string {
  const out = [header];
  chain.forEach((s, depth) => {
    const prefix = "--".repeat(depth);
    out.push(`${prefix}|-${depth === 0 ? "ROOT" : "CHILD"}`);
    const p = "--".repeat(depth + 1);
    out.push(`${p}Snapshot Name        : ${s.name}`);
    out.push(`${p}Snapshot Id        : ${s.id}`);
    out.push(`${p}Snapshot Desciption  : ${s.description}`);
    out.push(`${p}Snapshot Created On  : ${formatSnapshotDate(s.createdAt)}`);
    out.push(`${p}Snapshot State       : ${s.state}`);
  });
  return `${out.join("\n")}\n`;
}
