// Turns the transporter bench's rows into the printed report: one table (pasteable into bench/README.md),
// the ratios the issue asks for and its targets checked one by one. Pure functions of results.json.
import { formatMiB, formatSize } from "../repository/sizes.mjs";

const MB = 1e6;

/** The issue's targets (issue 11, "Performance"). */
export const TARGETS = {
  fullVsSshCat: 0.8, // our full backup's throughput, at least this × `ssh host cat > file`
  fullVsRestic: 3, // … and this × `ssh host cat | restic backup --stdin`
  incrWireVsRsync: 1.1, // incremental bytes on the wire at most this × rsync's
  incrWallVsFull: 0.25, // incremental wall time at most this × our full's
  restoreVsUpload: 0.7, // restore throughput at least this × `ssh host 'cat > f' < image`
  peakRssBytes: 250 * MB, // the transporter's peak memory
};

const s = (seconds) => seconds.toFixed(seconds < 10 ? 2 : 1);
const x = (r) => `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
const wire = (row) => row.wireSentBytes + row.wireReceivedBytes;

function table(header, lines) {
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** Pure: the ratios between rows (undefined where a row is missing). */
export function ratios(rows) {
  const of = (key) => rows.find((r) => r.key === key);
  const [full, incr, sshCat, restic, rsync, restore, verify, upload] = ["ours-full", "ours-incr", "ssh-cat", "restic", "rsync", "restore", "verify", "upload"].map(of);
  const both = (a, b, f) => (a && b ? f(a, b) : undefined);
  return {
    fullVsSshCat: both(full, sshCat, (a, b) => b.wallS / a.wallS),
    fullVsRestic: both(full, restic, (a, b) => b.wallS / a.wallS),
    incrWallVsRsync: both(incr, rsync, (a, b) => a.wallS / b.wallS),
    incrWireVsRsync: both(incr, rsync, (a, b) => wire(a) / wire(b)),
    incrWallVsFull: both(incr, full, (a, b) => a.wallS / b.wallS),
    incrWireVsFull: both(incr, full, (a, b) => wire(a) / wire(b)),
    restoreVsUpload: both(restore, upload, (a, b) => b.wallS / a.wallS),
    verifyVsRestore: both(verify, restore, (a, b) => a.wallS / b.wallS),
    oursPeakRssBytes: [full, incr, restore, verify].some(Boolean) ? Math.max(...[full, incr, restore, verify].filter(Boolean).map((r) => r.maxRssBytes)) : undefined,
  };
}

/** Pure: each target as "[PASS] …" / "[FAIL] …"; targets whose rows are missing are left out. */
export function evaluateTargets(rows) {
  const r = ratios(rows);
  const out = [];
  const check = (value, ok, text) => value !== undefined && out.push(`- [${ok(value) ? "PASS" : "FAIL"}] ${text(value)}`);
  check(r.fullVsSshCat, (v) => v >= TARGETS.fullVsSshCat, (v) => `full backup ${x(v)} the throughput of ssh cat (target ≥ ${TARGETS.fullVsSshCat}×)`);
  check(r.fullVsRestic, (v) => v >= TARGETS.fullVsRestic, (v) => `full backup ${x(v)} the throughput of ssh cat | restic (target ≥ ${TARGETS.fullVsRestic}×)`);
  check(r.incrWallVsRsync, (v) => v < 1, (v) => `incremental wall ${x(v)} rsync's (target < 1×: faster than rsync)`);
  check(r.incrWireVsRsync, (v) => v <= TARGETS.incrWireVsRsync, (v) => `incremental bytes on the wire ${x(v)} rsync's (target ≤ ${TARGETS.incrWireVsRsync}×)`);
  check(r.incrWallVsFull, (v) => v <= TARGETS.incrWallVsFull, (v) => `incremental wall ${x(v)} our full's (target ≤ ${TARGETS.incrWallVsFull}×)`);
  check(r.restoreVsUpload, (v) => v >= TARGETS.restoreVsUpload, (v) => `restore to the host ${x(v)} the throughput of an ssh upload (target ≥ ${TARGETS.restoreVsUpload}×)`);
  check(r.oursPeakRssBytes, (v) => v <= TARGETS.peakRssBytes, (v) => `transporter peak RSS ${(v / MB).toFixed(0)} MB = ${formatMiB(v)} MiB (target ≤ ${TARGETS.peakRssBytes / MB} MB)`);
  return out;
}

export function formatHeader(meta) {
  const c = meta.images.composition;
  const w = meta.windows ?? {};
  const lines = [
    `esxbackup transporter benchmark, ${meta.startedAt}`,
    `command: ${meta.command}`,
    `disk: ${formatSize(meta.sizeBytes)} mixed image, seed ${JSON.stringify(meta.images.seed)}: zero ${formatMiB(c.zero)} MiB, random ${formatMiB(c.random)} MiB, compressible ${formatMiB(c.compressible)} MiB`,
    `host: simulated ESXi 8.0 on CPU ${meta.cpus.host}; receivers on CPU ${meta.cpus.receiver}; guest writing ${meta.loadWritesPerSecond} × 64 KiB/s (${meta.guestWrites} writes, ${meta.guestFailedWrites} failed)`,
    `change: the guest rewrote ${meta.changeBlocks} random 64 KiB blocks (${meta.changedBlocks} distinct); distinct 64 KiB blocks written between the snapshots each incremental compared, light load included: ours ${w.ours ?? "–"}, rsync ${w.rsync ?? "–"}`,
    `machine: ${meta.machine}`,
    `tools: ${meta.versions.join(", ")}; OpenSSH client with ${meta.cipher}`,
    `page cache: ${meta.cacheMode.cold ? "dropped before every timed run" : `not dropped (${meta.cacheMode.reason}): inputs read once before each run`}`,
    `wall, receiver CPU (user + sys) and peak RSS (largest process) from GNU time; host CPU and disk reads from /proc (the simulator's process tree; reads from storage, not the page cache); wire = the host's SSH server's TCP bytes, both directions`,
  ];
  return "```text\n" + lines.join("\n") + "\n```";
}

export function formatTable(meta, rows) {
  const gb = meta.sizeBytes / 1e9;
  const r = ratios(rows);
  const note = {
    "ours-full": [r.fullVsSshCat && `${x(r.fullVsSshCat)} ssh cat`, r.fullVsRestic && `${x(r.fullVsRestic)} restic`].filter(Boolean).join(", "),
    "ours-incr": [r.incrWallVsRsync && `wall ${x(r.incrWallVsRsync)} rsync`, r.incrWireVsRsync && `wire ${x(r.incrWireVsRsync)} rsync`, r.incrWallVsFull && `wall ${x(r.incrWallVsFull)} full`].filter(Boolean).join(", "),
    restore: r.restoreVsUpload ? `${x(r.restoreVsUpload)} upload` : "",
    verify: r.verifyVsRestore ? `wall ${x(r.verifyVsRestore)} restore's` : "",
  };
  const header = ["run", "wall s", "MB/s", "receiver CPU s/GB", "host CPU s/GB", "host disk read MB", "peak RSS MiB", "wire MB", "others' CPU s", "ratios"];
  const lines = rows.map((row) => [
    row.label.replaceAll("|", "\\|"),
    s(row.wallS),
    (meta.sizeBytes / row.wallS / MB).toFixed(0),
    (row.cpuS / gb).toFixed(2),
    (row.hostCpuS / gb).toFixed(2),
    // Runs recorded before the column existed have no figure.
    row.hostReadBytes === undefined ? "" : (row.hostReadBytes / MB).toFixed(0),
    formatMiB(row.maxRssBytes),
    (wire(row) / MB).toFixed(wire(row) < 100 * MB ? 2 : 0),
    s(row.othersCpuS),
    note[row.key] ?? "",
  ]);
  return table(header, lines);
}

export function formatReport({ meta, rows, checks = [], failures = [] }) {
  const sections = [formatHeader(meta), formatTable(meta, rows)];
  if (failures.length > 0) sections.push("Steps that did not run:\n\n" + failures.map((f) => `- ${f.label}: ${f.error.replaceAll("\n", " ")}`).join("\n"));
  const rsync = rows.find((r) => r.key === "rsync");
  const incr = rows.find((r) => r.key === "ours-incr");
  const w = meta.windows ?? {};
  if (rsync && incr && w.ours > 0 && w.rsync > 0) {
    const ours = wire(incr) / w.ours;
    const theirs = wire(rsync) / w.rsync;
    sections.push(
      `Per 64 KiB block changed in each one's window (the load makes the windows differ): ours ${(ours / 1e3).toFixed(1)} KB on the wire, ` +
        `rsync ${(theirs / 1e3).toFixed(1)} KB, ${x(ours / theirs)} (not a target: the issue's target is the raw ratio above).`,
    );
  }
  if (rsync?.rsyncStats) {
    const st = rsync.rsyncStats;
    sections.push(`rsync's own count: sent ${(st.sentBytes / MB).toFixed(2)} MB, received ${(st.receivedBytes / MB).toFixed(2)} MB, literal data ${(st.literalBytes / MB).toFixed(2)} MB (through its ssh pipe, before SSH framing).`);
  }
  const summaries = rows.filter((r) => r.summary).map((r) => `- ${r.label}: ${Object.entries(r.summary).map(([k, v]) => `${k} ${typeof v === "number" && v >= 1e5 ? `${(v / MB).toFixed(2)} MB` : v}`).join(", ")}`);
  const MAX_EVENTS = 16; // a CLI that logs progress often would drown the report
  const event = (e) => `${e.atS.toFixed(2)} s ${e.line.replace(/^esxbackup: /, "")}`;
  const timelines = rows
    .filter((r) => r.timeline)
    .map((r) => {
      const t = r.timeline;
      const shown = t.length <= MAX_EVENTS ? t.map(event) : [...t.slice(0, MAX_EVENTS - 2).map(event), `(${t.length - MAX_EVENTS + 1} more lines)`, event(t[t.length - 1])];
      return `- ${r.label}: ${shown.join(" → ")}`;
    });
  if (timelines.length > 0) sections.push("When our CLI logged what (seconds after the step started; node start-up and login come before the first line):\n\n" + timelines.join("\n"));
  if (summaries.length > 0) sections.push("Our backups' own summaries (--json):\n\n" + summaries.join("\n"));
  if (checks.length > 0) sections.push("Checks (untimed):\n\n" + checks.map((c) => `- [${c.ok ? "OK" : "WRONG"}] ${c.label}`).join("\n"));
  const targets = evaluateTargets(rows);
  if (targets.length > 0) sections.push("Targets (issue 11):\n\n" + targets.join("\n"));
  return sections.join("\n\n") + "\n";
}
