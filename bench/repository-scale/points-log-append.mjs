// What one points-log append costs (docs/repository-format.md §8a, ADR 34) in a log of `--records` records:
// the first append of a process (a backup run that publishes one point) and the next one in the same
// process (a prune removing several points, or a transporter publishing several), counting the store calls
// each makes. Every append runs as a backup's or a prune's does: `appendPointsLog` from the built package.
//
//   node bench/repository-scale/points-log-append.mjs [--records 2000,146000] [--latency-ms 0]
//        [--list-page-names 0] [--repeat 3] [--plain] [--work-dir bench/out/repository-scale]
//
// Needs the packages built (`npx tsc -b`). A log is written once per size (records sealed with the repository
// API, chained, files written without fsync to keep the set-up short) in the work dir and reused while its
// parameters match; each measured append's records are removed again afterwards, so every run starts from the
// same log. `--latency-ms N` delays every store call by N ms, as a NAS over NFS or SMB would (a simulation:
// each call waits that long before the local call). A NAS also lists a folder page by page, one round trip
// each (NFS READDIRPLUS and SMB2 QUERY_DIRECTORY return some hundreds of names per reply):
// `--list-page-names N` makes a listing wait the latency once per N names (0: once per listing).
// Encrypted unless `--plain`. Each figure is the fastest of `--repeat` runs, warm page
// cache; the calls are those of that run.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = (file) => import(join(ROOT_DIR, "packages/repository/dist", file));
const { LocalDirectoryBlobStore, Repository } = await dist("index.js");
const { appendPointsLog } = await dist("points-log.js");
const { EnvelopeKind } = await dist("envelope.js");
const { pointsLogKey } = await dist("repository-layout.js");

const { values: options } = parseArgs({
  options: {
    records: { type: "string", default: "2000,146000" },
    "latency-ms": { type: "string", default: "0" },
    "list-page-names": { type: "string", default: "0" },
    plain: { type: "boolean", default: false },
    repeat: { type: "string", default: "3" },
    "work-dir": { type: "string", default: join(ROOT_DIR, "bench/out/repository-scale") },
  },
});
const SIZES = options.records.split(",").map(Number);
const LATENCY_MS = Number(options["latency-ms"]);
const LIST_PAGE_NAMES = Number(options["list-page-names"]);
const REPEAT = Math.max(1, Number(options.repeat));
const ENCRYPTED = !options.plain;
const PASSPHRASE = "esxbackup-bench";
if (!SIZES.every((size) => Number.isInteger(size) && size >= 0)) throw new Error("--records takes record counts separated by commas");

const late = (ms) => (ms > 0 ? new Promise((resolveLate) => setTimeout(resolveLate, ms)) : Promise.resolve());

/** The real store, counting calls by kind, each `latency` ms late (a listing once per `listPageNames` names). */
class SlowCountingStore extends LocalDirectoryBlobStore {
  calls = {};

  constructor(root, latency, listPageNames) {
    super(root);
    this.latency = latency;
    this.listPageNames = listPageNames;
  }

  async #call(kind, run) {
    this.calls[kind] = (this.calls[kind] ?? 0) + 1;
    await late(this.latency);
    return run();
  }

  read(key) {
    return this.#call("read", () => super.read(key));
  }
  write(key, data) {
    return this.#call("write", () => super.write(key, data));
  }
  createExclusive(key, data) {
    return this.#call("create", () => super.createExclusive(key, data));
  }
  stat(key) {
    return this.#call("stat", () => super.stat(key));
  }
  list(folder) {
    return this.#call(`list ${folder}/`, async () => {
      const names = await super.list(folder);
      const pages = this.listPageNames > 0 ? Math.ceil(names.length / this.listPageNames) : 1;
      await late(this.latency * (pages - 1));
      return names;
    });
  }
  remove(key) {
    return this.#call("remove", () => super.remove(key));
  }
}

const pointId = (n) => `20240101T000000000Z-${n.toString(16).padStart(8, "0")}`;

/** A repository whose log holds `records` chained records (published, as if each were a point). */
async function ensureLog(dir, records) {
  const marker = join(dir, "bench-parameters.json");
  const wanted = JSON.stringify({ records, encrypted: ENCRYPTED, version: 1 });
  if (existsSync(marker) && readFileSync(marker, "utf8") === wanted) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const root = join(dir, "repo");
  const repository = await Repository.init(new LocalDirectoryBlobStore(root), {
    chunkSizeBytes: 256 * 1024,
    threads: 0,
    ...(ENCRYPTED ? { encrypt: true, passphrase: PASSPHRASE } : {}),
  });
  mkdirSync(join(root, "log"), { recursive: true });
  let previousDigest = "0".repeat(64);
  for (let sequence = 1; sequence <= records; sequence += 1) {
    const key = pointsLogKey(sequence);
    const record = { sequence, previousDigest, event: "published", pointId: pointId(sequence), at: new Date(Date.UTC(2024, 0, 1) + sequence * 1000).toISOString() };
    const bytes = repository.sealEnvelope(EnvelopeKind.pointsLog, Buffer.from(JSON.stringify(record)), key);
    writeFileSync(join(root, key), bytes);
    previousDigest = createHash("sha256").update(bytes).digest("hex");
    if (sequence % 20000 === 0) process.stderr.write(`  ${sequence}/${records} records written\n`);
  }
  await repository.close();
  writeFileSync(marker, wanted);
  process.stderr.write(`log of ${records} records written in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

async function timed(store, run) {
  store.calls = {};
  const started = performance.now();
  await run();
  return { ms: performance.now() - started, calls: store.calls };
}

const describeCalls = (calls) =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");

const rows = [];
for (const records of SIZES) {
  const dir = resolve(options["work-dir"], `points-log-${records}${ENCRYPTED ? "" : "-plain"}`);
  await ensureLog(dir, records);
  const root = join(dir, "repo");
  let first;
  let next;
  for (let run = 0; run < REPEAT; run += 1) {
    // A new Repository object each run: what a new process knows of the log (nothing).
    const store = new SlowCountingStore(root, LATENCY_MS, LIST_PAGE_NAMES);
    const repository = await Repository.open(store, { threads: 0, ...(ENCRYPTED ? { passphrase: PASSPHRASE } : {}) });
    const a = await timed(store, () => appendPointsLog(repository, "published", pointId(records + 1)));
    const b = await timed(store, () => appendPointsLog(repository, "pruned", pointId(records + 1)));
    await repository.close();
    for (const sequence of [records + 1, records + 2]) rmSync(join(root, pointsLogKey(sequence)));
    if (existsSync(join(root, pointsLogKey(records + 3)))) throw new Error("the appends did not write records n+1 and n+2");
    if (first === undefined || a.ms < first.ms) first = a;
    if (next === undefined || b.ms < next.ms) next = b;
  }
  rows.push({ records, first, next });
}

const paging = LIST_PAGE_NAMES > 0 ? ` (a listing: once per ${LIST_PAGE_NAMES} names)` : "";
console.log(`\npoints-log append, ${ENCRYPTED ? "encrypted" : "plain"}, store call latency ${LATENCY_MS} ms${paging}, fastest of ${REPEAT}\n`);
console.log("| records | first append in a process: ms | store calls | next append: ms | store calls |");
console.log("|---:|---:|---|---:|---|");
for (const row of rows) {
  console.log(`| ${row.records} | ${row.first.ms.toFixed(1)} | ${describeCalls(row.first.calls)} | ${row.next.ms.toFixed(1)} | ${describeCalls(row.next.calls)} |`);
}
