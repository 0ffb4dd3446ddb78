/**
 * `vim-cmd vmsvc/snapshot.get` (esxi-facts 1.3): `Get Snapshot:` then, per snapshot, a `|-ROOT` or
 * `|-CHILD` line and five labelled lines, all prefixed by `--` once per depth. Labels are padded to 21
 * characters before `: ` except `Snapshot Id` (2 fewer) and keep the `Desciption` typo. Dates are
 * `M/D/YYYY H:M:S` with nothing padded (esxi-facts §0). Only a linear chain is produced by this host, so
 * several roots or siblings never occur.
 */
export interface SnapshotLine {
  name: string;
  id: number;
  description: string;
  createdAt: Date;
  state: "powered on" | "powered off" | "suspended";
}

/** `M/D/YYYY H:M:S` in UTC (the host's time zone), nothing padded: `10/4/2026 19:0:52` (esxi-facts §0). */
export function formatSnapshotDate(at: Date): string {
  return `${at.getUTCMonth() + 1}/${at.getUTCDate()}/${at.getUTCFullYear()} ${at.getUTCHours()}:${at.getUTCMinutes()}:${at.getUTCSeconds()}`;
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
