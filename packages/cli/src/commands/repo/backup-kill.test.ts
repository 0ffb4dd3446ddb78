/**
 * Crash safety with a real process: `esxbackup repo backup-image` is killed with SIGKILL at random moments,
 * many times. After every kill the repository verifies clean (no published point is incomplete), and a
 * final backup reuses exactly the chunks the killed runs had already made durable.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LocalDirectoryBlobStore, Repository, verifyRepository } from "@esxbackup/repository";

const BIN = fileURLToPath(new URL("../../../bin/esxbackup.js", import.meta.url));
const KILLS = 20;

function backup(repo: string, source: string, killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; elapsedMs: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, "repo", "backup-image", "--repo", repo, "--name", "crash vm", source, "--flush-every", "256K", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.resume();
  // The kill moment is the random input of this test, not a wait for something to happen.
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  return once(child, "close").then(([code, signal]) => {
    clearTimeout(timer);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, elapsedMs: Date.now() - started };
  });
}

const SIZE = 12 * 1024 * 1024 + 4321;
const CHUNK = 16 * 1024;
const CHUNKS = Math.ceil(SIZE / CHUNK);

/** How many of `image`'s chunks the (unencrypted) repository already holds under their final names. */
async function chunksPresent(repo: string, image: Buffer): Promise<number> {
  let present = 0;
  for (let start = 0; start < image.byteLength; start += CHUNK) {
    const digest = createHash("sha256").update(image.subarray(start, start + CHUNK)).digest("hex");
    if (await stat(join(repo, "chunks", digest.slice(0, 2), digest)).then(() => true, () => false)) present += 1;
  }
  return present;
}

describe("backup killed with SIGKILL", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-kill-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`leaves a sound repository every time (${KILLS} kills) and the next backup reuses what was written`, async () => {
    // Every attempt backs up new random data, so every run writes (a repeat of the same data would only
    // deduplicate, and finish before its kill).
    const images = Array.from({ length: KILLS }, () => randomBytes(SIZE));
    const source = (attempt: number): string => join(dir, `disk-${attempt}.raw`);
    for (const [attempt, image] of images.entries()) await writeFile(source(attempt), image);
    // How long an uninterrupted run takes, in a separate repository: kills are spread over that time.
    const calibrationRepo = join(dir, "calibration");
    await (await Repository.init(new LocalDirectoryBlobStore(calibrationRepo), { chunkSizeBytes: CHUNK })).close();
    const calibration = await backup(calibrationRepo, source(0));
    assert.equal(calibration.code, 0);

    const repo = join(dir, "repo");
    const store = new LocalDirectoryBlobStore(repo);
    await (await Repository.init(store, { chunkSizeBytes: CHUNK })).close();

    let killed = 0;
    for (let attempt = 0; attempt < KILLS; attempt += 1) {
      // From after start-up to near the end: a kill before anything is written tests nothing.
      const earliest = Math.round(calibration.elapsedMs * 0.3);
      const result = await backup(repo, source(attempt), randomInt(earliest, Math.max(earliest + 10, Math.round(calibration.elapsedMs * 0.9))));
      if (result.signal === "SIGKILL") killed += 1;
      else assert.equal(result.code, 0, "a run that was not killed succeeded");
      const repository = await Repository.open(store, { threads: 1 });
      try {
        const report = await verifyRepository(repository);
        assert.deepEqual(report.problems, [], `after attempt ${attempt}`);
        for (const pointId of await repository.listPointIds()) {
          const point = await repository.readPoint(pointId);
          assert.equal(point.disks[0]?.chunkCount, CHUNKS);
        }
      } finally {
        await repository.close();
      }
    }
    assert.ok(killed >= KILLS / 4, `runs were killed mid-way (${killed})`);

    // Back up again the data of which a killed run had made the most durable: exactly those chunks are reused.
    let best = 0;
    let bestPresent = -1;
    for (const [attempt, image] of images.entries()) {
      const present = await chunksPresent(repo, image);
      if (present > bestPresent) [best, bestPresent] = [attempt, present];
    }
    assert.ok(bestPresent > 0, "killed runs had made some chunks durable");
    const final = await backup(repo, source(best));
    assert.equal(final.code, 0);
    const stats = (JSON.parse(final.stdout) as { counters: { chunksDeduplicated: number; chunksStored: number } }).counters;
    assert.equal(stats.chunksDeduplicated, bestPresent, "every chunk already written is reused");
    assert.equal(stats.chunksStored, CHUNKS - bestPresent);
  });
});
