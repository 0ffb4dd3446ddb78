/**
 * Crash safety with a real process: `esxbackup repo backup-image` is killed with SIGKILL many times, at
 * moments spread over the whole run (start-up to after the end) and at the moments of publishing: when the
 * point's index folder appears (the manifest is next) and when its manifest appears. After every kill the
 * repository verifies clean (no published point is incomplete); a final backup reuses exactly the chunks
 * the killed runs had already made durable, and is itself verified and read back. (SIGKILL keeps the page
 * cache, so this cannot show a missing fsync: packages/repository's power-cut test does.)
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { watch } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { PointId } from "@esxbackup/domain";
import { DiskReader, LocalDirectoryBlobStore, Repository, verifyRepository } from "@esxbackup/repository";

const BIN = fileURLToPath(new URL("../../../bin/esxbackup.js", import.meta.url));
const KILLS = 21;

/** When to kill: after a random time, or as soon as a new entry appears in one of the repository's folders. */
type KillAt = { afterMs: number } | { appearsIn: "indexes" | "points" };

function backup(repo: string, source: string, killAt?: KillAt): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; elapsedMs: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, "repo", "backup-image", "--repo", repo, "--name", "crash vm", source, "--flush-every", "256K", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.resume();
  const kill = (): boolean => child.kill("SIGKILL");
  // The kill moment is the random input of this test, not a wait for something to happen.
  const timer = killAt !== undefined && "afterMs" in killAt ? setTimeout(kill, killAt.afterMs) : undefined;
  const watcher =
    killAt !== undefined && "appearsIn" in killAt
      ? watch(join(repo, killAt.appearsIn), (_event, name) => {
          if (name !== null && !name.startsWith(".")) kill();
        })
      : undefined;
  return once(child, "close").then(([code, signal]) => {
    clearTimeout(timer);
    watcher?.close();
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
      // A third at random over the whole run (start-up included, and past its end), a third when the index
      // folder appears (publishing: the manifest is written next), a third when the manifest appears.
      const moments: KillAt[] = [{ afterMs: randomInt(1, Math.round(calibration.elapsedMs * 1.1)) }, { appearsIn: "indexes" }, { appearsIn: "points" }];
      const result = await backup(repo, source(attempt), moments[attempt % 3]);
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
    const { point, counters: stats } = JSON.parse(final.stdout) as { point: PointId; counters: { chunksDeduplicated: number; chunksStored: number } };
    assert.equal(stats.chunksDeduplicated, bestPresent, "every chunk already written is reused");
    assert.equal(stats.chunksStored, CHUNKS - bestPresent);
    // The final backup itself: sound, and exactly the image.
    const repository = await Repository.open(store, { threads: 1 });
    try {
      assert.deepEqual((await verifyRepository(repository, { pointIds: [point] })).problems, []);
      const hash = createHash("sha256");
      for await (const part of (await DiskReader.open(repository, point, 0)).stream()) hash.update(part as Buffer);
      assert.equal(hash.digest("hex"), createHash("sha256").update(images[best] as Buffer).digest("hex"));
    } finally {
      await repository.close();
    }
  });
});
