// How long a VM backup spends finding its previous point in a repository with a long history: the lookup
// as it was (list the points, read and open every manifest, then choose) against the search newest id
// first that stops at the answer (packages/transporter/src/vm-backup/find-previous-point.ts). The
// repository is written directly with the repository API: `--points` points without disks (a manifest, a
// points-log record each), `--vms` VMs of one host backed up in turn, one point per VM per round.
//
//   node bench/repository-scale/previous-point.mjs [--points 2000] [--vms 100] [--read-latency-ms 0]
//        [--plain] [--repeat 3] [--work-dir bench/out/repository-scale]
//
// Needs the packages built (`npx tsc -b`). The repository is kept in the work dir and reused while its
// parameters match. `--read-latency-ms N` delays every store read by N ms, as a NAS over NFS would (a
// simulation: each read waits that long before the local read). Encrypted unless `--plain`. Each figure is
// the fastest of `--repeat` runs, warm page cache.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const { LocalDirectoryBlobStore, PointWriter, Repository } = await import(join(ROOT_DIR, "packages/repository/dist/index.js"));
const { findPreviousPoint } = await import(join(ROOT_DIR, "packages/transporter/dist/vm-backup/find-previous-point.js"));
const { pointSummariesNewestFirst } = await import(join(ROOT_DIR, "packages/transporter/dist/vm-backup/point-summaries.js"));

const { values: options } = parseArgs({
  options: {
    points: { type: "string", default: "2000" },
    vms: { type: "string", default: "100" },
    "read-latency-ms": { type: "string", default: "0" },
    plain: { type: "boolean", default: false },
    repeat: { type: "string", default: "3" },
    "work-dir": { type: "string", default: join(ROOT_DIR, "bench/out/repository-scale") },
  },
});
const POINTS = Number(options.points);
const VMS = Number(options.vms);
const LATENCY_MS = Number(options["read-latency-ms"]);
const REPEAT = Math.max(1, Number(options.repeat));
const ENCRYPTED = !options.plain;
const PASSPHRASE = "esxbackup-bench";
const HOST = "esx-bench";
if (!(POINTS > 0 && VMS > 0 && POINTS >= VMS)) throw new Error("--points and --vms must be positive, with at least one point per VM");

const vm = (n) => ({ name: `vm-${String(n).padStart(3, "0")}`, id: String(n + 1), uuid: `42 00 00 ${n.toString(16).padStart(4, "0")}` });

/** The real store, counting manifest reads, each read and listing `latency` ms late. */
class SlowCountingStore extends LocalDirectoryBlobStore {
  manifests = 0;

  constructor(root, latency) {
    super(root);
    this.latency = latency;
  }

  async read(key) {
    if (/^points\/.+\.manifest$/.test(key)) this.manifests += 1;
    await this.#late();
    return super.read(key);
  }

  async list(folder) {
    await this.#late();
    return super.list(folder);
  }

  #late() {
    return this.latency > 0 ? new Promise((resolveLate) => setTimeout(resolveLate, this.latency)) : Promise.resolve();
  }
}

async function ensureRepository(dir) {
  const marker = join(dir, "bench-parameters.json");
  const wanted = JSON.stringify({ points: POINTS, vms: VMS, encrypted: ENCRYPTED, version: 1 });
  if (existsSync(marker) && readFileSync(marker, "utf8") === wanted) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  let ms = Date.UTC(2024, 0, 1);
  const clock = { now: () => new Date((ms += 1000)) };
  const repository = await Repository.init(new LocalDirectoryBlobStore(join(dir, "repo")), {
    chunkSizeBytes: 256 * 1024,
    threads: 0,
    clock,
    ...(ENCRYPTED ? { encrypt: true, passphrase: PASSPHRASE } : {}),
  });
  for (let index = 0; index < POINTS; index += 1) {
    const writer = await PointWriter.begin(repository, { vm: vm(index % VMS), host: HOST, tags: ["daily"] });
    await writer.commit();
    if ((index + 1) % 500 === 0) process.stderr.write(`  ${index + 1}/${POINTS} points written\n`);
  }
  await repository.close();
  writeFileSync(marker, wanted);
  process.stderr.write(`repository of ${POINTS} points written in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

/** The lookup before: every manifest read and opened, then the newest match by createdAt chosen. */
async function lookupReadingAll(repository, wanted) {
  const summaries = [];
  for (const pointId of await repository.listPointIds()) {
    const point = await repository.readPoint(pointId);
    summaries.push({ pointId, createdAt: point.createdAt, host: point.host, vm: point.vm });
  }
  const sameHost = summaries.filter((point) => point.host === wanted.host);
  const newest = (candidates) => candidates.reduce((best, point) => (best === undefined || point.createdAt > best.createdAt ? point : best), undefined);
  const byUuid = newest(sameHost.filter((point) => point.vm.uuid === wanted.vm.uuid));
  if (byUuid !== undefined) return { pointId: byUuid.pointId, matchedBy: "uuid" };
  const byId = newest(sameHost.filter((point) => point.vm.id === wanted.vm.id && point.vm.name === wanted.vm.name && point.vm.uuid === undefined));
  return byId === undefined ? undefined : { pointId: byId.pointId, matchedBy: "vmid-and-name" };
}

const lookupNewestFirst = (repository, wanted) => findPreviousPoint(pointSummariesNewestFirst(repository), wanted);

async function measure(repository, store, lookup, wanted) {
  let best;
  for (let run = 0; run < REPEAT; run += 1) {
    store.manifests = 0;
    const started = performance.now();
    const previous = await lookup(repository, wanted);
    const ms = performance.now() - started;
    if (best === undefined || ms < best.ms) best = { ms, manifests: store.manifests, previous };
  }
  return best;
}

const dir = resolve(options["work-dir"]);
await ensureRepository(dir);
const store = new SlowCountingStore(join(dir, "repo"), LATENCY_MS);
const repository = await Repository.open(store, { threads: 0, ...(ENCRYPTED ? { passphrase: PASSPHRASE } : {}) });

const lastBackedUp = (POINTS - 1) % VMS;
const cases = [
  { label: "VM backed up last (its point is the newest)", vm: vm(lastBackedUp) },
  { label: `VM backed up first in the last round (${VMS} points back)`, vm: vm((lastBackedUp + 1) % VMS) },
  { label: "VM with no point yet (every manifest read)", vm: { name: "new-vm", id: "9999", uuid: "42 ff ff ff" } },
];
const rows = [];
for (const c of cases) {
  const wanted = { host: HOST, vm: c.vm };
  const before = await measure(repository, store, lookupReadingAll, wanted);
  const after = await measure(repository, store, lookupNewestFirst, wanted);
  if (JSON.stringify(before.previous) !== JSON.stringify(after.previous)) {
    throw new Error(`${c.label}: the lookups disagree (${JSON.stringify(before.previous)} before, ${JSON.stringify(after.previous)} after)`);
  }
  rows.push({ label: c.label, before, after });
}
// What still grows with the history on every backup: listing points/ (here). Names only, no file read. log/
// for comparison: the points-log append listed it until ADR 34 (points-log-append.mjs measures the append).
const listings = [];
for (const folder of ["points", "log"]) {
  let best;
  for (let run = 0; run < REPEAT; run += 1) {
    const started = performance.now();
    const names = await store.list(folder);
    const ms = performance.now() - started;
    if (best === undefined || ms < best.ms) best = { ms, names: names.length };
  }
  listings.push({ folder, ...best });
}
await repository.close();

console.log(`\n${POINTS} points, ${VMS} VMs, ${ENCRYPTED ? "encrypted" : "plain"}, store read latency ${LATENCY_MS} ms, fastest of ${REPEAT}\n`);
console.log("| lookup for | read all: ms | manifests | newest first: ms | manifests | speed-up |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const row of rows) {
  console.log(
    `| ${row.label} | ${row.before.ms.toFixed(1)} | ${row.before.manifests} | ${row.after.ms.toFixed(1)} | ${row.after.manifests} | ${(row.before.ms / row.after.ms).toFixed(1)}x |`,
  );
}
console.log("");
for (const listing of listings) console.log(`listing ${listing.folder}/ (${listing.names} names): ${listing.ms.toFixed(1)} ms`);
