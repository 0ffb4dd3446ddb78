// Turns measured rows into the printed report: markdown tables (pasteable into bench/README.md), ratios to
// restic, and the issue's targets checked one by one. Pure functions of the rows.
import { formatSize, formatMiB } from "./sizes.mjs";

const STEP_LABEL = {
  first: "first",
  incr: "incremental",
  "incr-known": "incremental, changes known",
  "incr-rehash": "incremental, re-read all",
};

function ratio(value, base) {
  if (!base) return "–";
  const r = value / base;
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
}

function s(seconds) {
  return seconds.toFixed(seconds < 10 ? 2 : 1);
}

function resticBaseline(rows, step) {
  return rows.find((r) => r.tool === "restic" && r.step === (step === "first" ? "first" : "incr"));
}

function table(header, lines) {
  const all = [header, header.map(() => "---"), ...lines];
  return all.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function formatHeader(meta) {
  const c = meta.images.composition;
  const lines = [
    `esxbackup repository benchmark, ${meta.startedAt}`,
    `command: ${meta.command}`,
    `image: ${formatSize(meta.images.sizeBytes)}, seed ${JSON.stringify(meta.images.seed)}: zero ${formatMiB(c.zero)} MiB (holes), ` +
      `random ${formatMiB(c.random)} MiB, compressible ${formatMiB(c.compressible)} MiB (text, ~2.6× zstd -1), ${c.regions} regions`,
    `changed copy: ${meta.images.changedBlocks} random 64 KiB blocks rewritten (${formatMiB(meta.images.changedBytes, 1)} MiB); ` +
      `changed-list given to --changed-list for "changes known"`,
    `machine: ${meta.machine}`,
    `tools: ${meta.versions.join(", ")}`,
    `page cache: ${meta.cacheMode.cold ? "dropped before every timed run" : `NOT dropped (${meta.cacheMode.reason}); inputs read once before every run, so runs start warm`}; ` +
      `each timed run ends with sync`,
    `each figure: ${meta.repeat > 1 ? `the fastest of ${meta.repeat} runs` : "one run"}; other processes used ${(meta.othersShare * 100).toFixed(0)} % of the ${meta.cores} cores during the timed runs` +
      (meta.othersShare > 0.1 ? " (OTHER WORK WAS RUNNING: wall times are inflated, CPU times less so)" : ""),
    `wall/CPU/max RSS from GNU time (CPU = user + sys; RSS = the largest process); growth = du -sb of the repository after minus before (on disk: du -s -B1, allocated blocks)`,
  ];
  return "```text\n" + lines.join("\n") + "\n```";
}

export function formatMainTable(rows, imageBytes) {
  const header = ["tool", "settings", "backup", "wall s", "MB/s", "CPU s", "max RSS MiB", "growth MiB", "on disk MiB", "wall vs restic", "CPU vs restic", "RSS vs restic", "growth vs restic", "others' CPU s"];
  const lines = rows.map((r) => {
    const base = resticBaseline(rows, r.step);
    return [
      r.tool,
      r.settings,
      STEP_LABEL[r.step],
      s(r.wallS),
      (imageBytes / r.wallS / 1e6).toFixed(0),
      s(r.cpuS),
      formatMiB(r.maxRssBytes),
      formatMiB(r.growthBytes, r.growthBytes < 100 * 1024 * 1024 ? 1 : 0),
      formatMiB(r.allocatedGrowthBytes, r.allocatedGrowthBytes < 100 * 1024 * 1024 ? 1 : 0),
      ratio(r.wallS, base?.wallS),
      ratio(r.cpuS, base?.cpuS),
      ratio(r.maxRssBytes, base?.maxRssBytes),
      ratio(r.growthBytes, base?.growthBytes),
      r.othersCpuS === undefined ? "–" : s(r.othersCpuS),
    ];
  });
  return table(header, lines);
}

export function formatSweepTable(rows) {
  const sizes = [...new Set(rows.map((r) => r.chunkSize))];
  const header = ["chunk", "first wall s", "first CPU s", "first growth MiB", "first on disk MiB", "known wall s", "known growth MiB", "known on disk MiB", "re-read wall s", "re-read growth MiB", "max RSS MiB"];
  const lines = sizes.map((size) => {
    const of = (step) => rows.find((r) => r.chunkSize === size && r.step === step);
    const first = of("first");
    const known = of("incr-known");
    const rehash = of("incr-rehash");
    const rss = Math.max(...rows.filter((r) => r.chunkSize === size).map((r) => r.maxRssBytes));
    const cell = (r, f) => (r ? f(r) : "–");
    return [
      size,
      cell(first, (r) => s(r.wallS)),
      cell(first, (r) => s(r.cpuS)),
      cell(first, (r) => formatMiB(r.growthBytes)),
      cell(first, (r) => formatMiB(r.allocatedGrowthBytes)),
      cell(known, (r) => s(r.wallS)),
      cell(known, (r) => formatMiB(r.growthBytes, 1)),
      cell(known, (r) => formatMiB(r.allocatedGrowthBytes, 1)),
      cell(rehash, (r) => s(r.wallS)),
      cell(rehash, (r) => formatMiB(r.growthBytes, 1)),
      formatMiB(rss),
    ];
  });
  return table(header, lines);
}

/** First backups at each zstd level, against restic's first backup in the main table when there is one. */
export function formatLevelTable(levelRows, rows) {
  const restic = rows.find((r) => r.tool === "restic" && r.step === "first");
  const header = ["zstd level", "first wall s", "first CPU s", "growth MiB", "on disk MiB", "max RSS MiB", ...(restic ? ["wall vs restic", "growth vs restic"] : [])];
  const lines = levelRows
    .filter((r) => r.step === "first")
    .map((r) => [
      String(r.compressionLevel),
      s(r.wallS),
      s(r.cpuS),
      formatMiB(r.growthBytes),
      formatMiB(r.allocatedGrowthBytes),
      formatMiB(r.maxRssBytes),
      ...(restic ? [ratio(r.wallS, restic.wallS), ratio(r.growthBytes, restic.growthBytes)] : []),
    ]);
  return table(header, lines);
}

/** The issue's targets, checked for every esxbackup configuration in the main table. */
export function evaluateTargets(rows) {
  const peersFirst = rows.filter((r) => r.tool !== "esxbackup" && r.step === "first");
  const resticFirst = resticBaseline(rows, "first");
  const resticIncr = resticBaseline(rows, "incr");
  const results = [];
  const check = (ok, text) => results.push(`- [${ok ? "PASS" : "FAIL"}] ${text}`);
  for (const settings of [...new Set(rows.filter((r) => r.tool === "esxbackup").map((r) => r.settings))]) {
    const of = (step) => rows.find((r) => r.tool === "esxbackup" && r.settings === settings && r.step === step);
    const first = of("first");
    const known = of("incr-known");
    if (first && peersFirst.length > 0) {
      const fastest = peersFirst.reduce((a, b) => (a.wallS <= b.wallS ? a : b));
      check(first.wallS < fastest.wallS, `${settings}: first backup ${s(first.wallS)} s < fastest peer ${fastest.tool} (${fastest.settings}) ${s(fastest.wallS)} s`);
    }
    if (first && resticFirst) {
      check(first.growthBytes <= resticFirst.growthBytes, `${settings}: first repository ${formatMiB(first.growthBytes)} MiB <= restic ${formatMiB(resticFirst.growthBytes)} MiB`);
    }
    if (known && resticIncr) {
      check(known.wallS * 10 <= resticIncr.wallS, `${settings}: changes-known incremental ${s(known.wallS)} s <= restic ${s(resticIncr.wallS)} s / 10`);
      check(known.growthBytes <= resticIncr.growthBytes, `${settings}: changes-known growth ${formatMiB(known.growthBytes, 1)} MiB <= restic ${formatMiB(resticIncr.growthBytes, 1)} MiB`);
    }
  }
  return results;
}

/**
 * "Peak memory independent of disk size": the peak over all backups of a configuration on the full image
 * against the same on the smaller probe image; allowed 25 % more (allocator and GC noise, and the fixed
 * index's 32 bytes per chunk). Per-step figures are shown too: a step that does little on the small image
 * (the changes-known incremental) can look like it grows when it merely did more work.
 */
export function evaluateMemory(rows, probeRows, probeBytes, sizeBytes) {
  const lines = [];
  const verdicts = [];
  for (const settings of [...new Set(probeRows.map((r) => r.settings))]) {
    const small = probeRows.filter((r) => r.settings === settings);
    const big = rows.filter((r) => r.tool === "esxbackup" && r.settings === settings);
    for (const r of small) {
      const b = big.find((x) => x.step === r.step);
      if (b) lines.push([settings, STEP_LABEL[r.step], formatMiB(r.maxRssBytes), formatMiB(b.maxRssBytes), ratio(b.maxRssBytes, r.maxRssBytes)]);
    }
    if (big.length === 0) continue;
    const peakSmall = Math.max(...small.map((r) => r.maxRssBytes));
    const peakBig = Math.max(...big.map((r) => r.maxRssBytes));
    lines.push([settings, "**peak of all backups**", formatMiB(peakSmall), formatMiB(peakBig), ratio(peakBig, peakSmall)]);
    const ok = peakBig <= peakSmall * 1.25;
    verdicts.push(`- [${ok ? "PASS" : "FAIL"}] ${settings}: peak RSS ${formatMiB(peakBig)} MiB at ${formatSize(sizeBytes)} <= 1.25 × ${formatMiB(peakSmall)} MiB at ${formatSize(probeBytes)}`);
  }
  const header = ["settings", "backup", `max RSS MiB, ${formatSize(probeBytes)}`, `max RSS MiB, ${formatSize(sizeBytes)}`, "ratio"];
  return { table: table(header, lines), verdicts };
}

export function formatChecks(checks) {
  return checks
    .map((c) => {
      const v = c.verified ? (c.verified.ok ? `verify ok in ${s(c.verified.wallS)} s (max RSS ${formatMiB(c.verified.maxRssBytes)} MiB)` : `VERIFY FAILED: ${c.verified.error.split("\n")[0]}`) : "not verified";
      return `- ${c.label}: ${v}`;
    })
    .join("\n");
}

/** The whole report (markdown) from what run.mjs saves as results.json. */
export function formatReport({ meta, rows, probeRows = [], sweepRows = [], levelRows = [], checks = [] }) {
  const sizeBytes = meta.sizeBytes ?? meta.images.sizeBytes;
  const sections = [formatHeader(meta)];
  if (rows.length > 0) {
    sections.push("## Backups\n\n" + formatMainTable(rows, sizeBytes));
    const targets = evaluateTargets(rows);
    if (targets.length > 0) sections.push("## Targets\n\n" + targets.join("\n"));
  }
  if (probeRows.length > 0 && meta.probeBytes) {
    const memory = evaluateMemory(rows, probeRows, meta.probeBytes, sizeBytes);
    sections.push("## Peak memory against disk size (esxbackup)\n\n" + memory.table + "\n\n" + memory.verdicts.join("\n"));
  }
  if (checks.length > 0) sections.push("## Checks\n\n" + formatChecks(checks));
  if (sweepRows.length > 0) sections.push("## Chunk-size sweep (esxbackup, unencrypted)\n\n" + formatSweepTable(sweepRows));
  if (levelRows.length > 0) sections.push("## Compression-level sweep (esxbackup, unencrypted, first backup)\n\n" + formatLevelTable(levelRows, rows));
  return sections.join("\n\n") + "\n";
}
