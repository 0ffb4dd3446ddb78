/**
 * Crash safety with a real process: `esxbackup repo backup-image` is killed with SIGKILL at random moments,
 * many times. After every kill the repository verifies clean (no published point is incomplete), and a
 * final backup reuses the chunks the killed runs had already made durable.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
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

async function countChunkFiles(repo: string): Promise<number> {
  let count = 0;
  for (const sub of await readdir(join(repo, "chunks"))) count += (await readdir(join(repo, "chunks", sub))).filter((name) => !name.startsWith(".")).length;
  return count;
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
    const source = join(dir, "disk.raw");
    await writeFile(source, randomBytes(12 * 1024 * 1024 + 4321));
    // How long an uninterrupted run takes, in a separate repository: kills are spread over that time.
    const calibrationRepo = join(dir, "calibration");
    await (await Repository.init(new LocalDirectoryBlobStore(calibrationRepo), { chunkSizeBytes: 16 * 1024 })).close();
    const calibration = await backup(calibrationRepo, source);
    assert.equal(calibration.code, 0);

    const repo = join(dir, "repo");
    const store = new LocalDirectoryBlobStore(repo);
    await (await Repository.init(store, { chunkSizeBytes: 16 * 1024 })).close();

    let killed = 0;
    for (let attempt = 0; attempt < KILLS; attempt += 1) {
      const result = await backup(repo, source, randomInt(30, Math.max(40, Math.round(calibration.elapsedMs * 0.7))));
      if (result.signal === "SIGKILL") killed += 1;
      else assert.equal(result.code, 0, "a run that was not killed succeeded");
      const repository = await Repository.open(store, { threads: 1 });
      try {
        const report = await verifyRepository(repository);
        assert.deepEqual(report.problems, [], `after attempt ${attempt}`);
        for (const pointId of await repository.listPointIds()) {
          const point = await repository.readPoint(pointId);
          assert.equal(point.disks[0]?.chunkCount, Math.ceil((12 * 1024 * 1024 + 4321) / (16 * 1024)));
        }
      } finally {
        await repository.close();
      }
    }
    assert.ok(killed >= KILLS / 4, `runs were killed mid-way (${killed})`);

    const chunksBefore = await countChunkFiles(repo);
    assert.ok(chunksBefore > 0, "killed runs had made some chunks durable");
    const final = await backup(repo, source);
    assert.equal(final.code, 0);
    const stats = (JSON.parse(final.stdout) as { stats: { chunksDeduplicated: number; chunksStored: number } }).stats;
    assert.ok(stats.chunksDeduplicated >= Math.min(chunksBefore, 769) - 1, `reused ${stats.chunksDeduplicated} of ${chunksBefore} chunks already written`);
    assert.equal(stats.chunksDeduplicated + stats.chunksStored, 769);
  });
});
