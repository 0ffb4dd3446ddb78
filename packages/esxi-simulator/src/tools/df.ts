/**
 * `df` on a host: VMware's volumes, not the sandbox's file system. Each datastore shows its configured
 * capacity and free space (none when the datastore is full, `faults.fullDatastores`), plus the system
 * volumes `esxcli storage filesystem list` shows. Layout [UNCONFIRMED]: `Filesystem  Bytes  Used
 * Available Use% Mounted on`, the type as Filesystem and the datastore's name path as mount point;
 * `-h` gives sizes like `924.8G`. Paths select the volumes holding them.
 */
import type { ToolResult } from "../host-tools.js";
import type { FilesystemRow } from "./esxcli.js";

function human(bytes: number): string {
  const units = ["", "K", "M", "G", "T", "P"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? String(v) : `${v.toFixed(1)}${units[u] ?? ""}`;
}

export function runDf(rows: readonly FilesystemRow[], args: readonly string[]): ToolResult {
  const flags = args.filter((a) => a.startsWith("-"));
  const paths = args.filter((a) => !a.startsWith("-"));
  const bad = flags.find((f) => !/^-[hk]+$/u.test(f));
  if (bad !== undefined) return { stdout: Buffer.alloc(0), stderr: Buffer.from(`df: unrecognized option '${bad}'\n`), exitCode: 1 };
  const h = flags.some((f) => f.includes("h"));
  const mountOf = (r: FilesystemRow): string => `/vmfs/volumes/${r.volumeName === "" ? r.uuid : r.volumeName}`;
  const selected = paths.length === 0 ? [...rows] : [];
  for (const p of paths) {
    const clean = p.replace(/\/+$/u, "");
    const row = rows.find((r) => [mountOf(r), r.mountPoint].some((m) => clean === m || clean.startsWith(`${m}/`)));
    if (row === undefined) return { stdout: Buffer.alloc(0), stderr: Buffer.from(`df: ${p}: not a VMware volume\n`), exitCode: 1 };
    if (!selected.includes(row)) selected.push(row);
  }
  const size = (n: number): string => (h ? human(n) : String(n));
  const cells = selected.map((r) => {
    const used = r.sizeBytes - r.freeBytes;
    const pct = r.sizeBytes === 0 ? 0 : Math.ceil((used * 100) / r.sizeBytes);
    return [r.type, size(r.sizeBytes), size(used), size(r.freeBytes), `${pct}%`, mountOf(r)];
  });
  const header = ["Filesystem", h ? "Size" : "Bytes", "Used", "Available", "Use%", "Mounted on"];
  const widths = header.map((x, i) => Math.max(x.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]): string => c.map((v, i) => (i === 0 || i === 5 ? v.padEnd(i === 5 ? 0 : (widths[i] ?? 0)) : v.padStart(widths[i] ?? 0))).join(" ");
  return { stdout: Buffer.from(`${[header, ...cells].map(line).join("\n")}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
}
