/**
 * Durability against a power cut, with a file system model that forgets everything not fsynced
 * (power-cut-file-system.ts). Removing any fsync the store makes turns one of these red.
 */
import { strict as assert } from "node:assert";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { collectGarbage } from "./collect-garbage.js";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";
import { PowerCutFileSystem } from "./power-cut-file-system.js";
import { executePrune, planPrune } from "./prune-points.js";
import { Repository } from "./repository.js";
import { RepositoryLock, listLocks } from "./repository-lock.js";
import { backUpImage, makeImage, readWholeDisk, sha256 } from "./test-disk.js";
import { verifyRepository } from "./verify-repository.js";

const CHUNK = 8 * 1024;

interface Scene {
  root: string;
  /** A repository on the real folder, as found after the power is back. */
  durable: () => Promise<Repository>;
  /** A repository through a fresh power-cut model of the same folder. */
  fragile: (options?: { cutAfterOperations?: number }) => Promise<{ repository: Repository; fs: PowerCutFileSystem }>;
}

async function withScene(use: (scene: Scene) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), "esxbackup-power-cut-"));
  const opened: Repository[] = [];
  try {
    const root = join(base, "repo");
    await (await Repository.init(new LocalDirectoryBlobStore(root), { chunkSizeBytes: CHUNK, threads: 0 })).close();
    let graveyards = 0;
    await use({
      root,
      durable: async () => {
        const repository = await Repository.open(new LocalDirectoryBlobStore(root), { threads: 0 });
        opened.push(repository);
        return repository;
      },
      fragile: async (options = {}) => {
        graveyards += 1;
        const graveyard = join(base, `graveyard-${graveyards}`);
        await mkdir(graveyard);
        const fs = new PowerCutFileSystem(graveyard, options);
        const repository = await Repository.open(new LocalDirectoryBlobStore(root, { fileSystem: fs }), { threads: 0 });
        opened.push(repository);
        return { repository, fs };
      },
    });
  } finally {
    for (const repository of opened) await repository.close();
    await rm(base, { recursive: true, force: true });
  }
}

describe("power cut", () => {
  it("a backup whose commit returned is whole after a power cut: chunks, index folder, index and manifest", async () => {
    await withScene(async (scene) => {
      const { repository, fs } = await scene.fragile();
      const image = makeImage(24 * CHUNK, 41);
      const point = await backUpImage(repository, image);
      await fs.cut();
      const after = await scene.durable();
      assert.deepEqual(await after.listPointIds(), [point.pointId]);
      assert.deepEqual((await verifyRepository(after)).problems, []);
      assert.equal(sha256(await readWholeDisk(after, point.pointId)), sha256(image));
    });
  });

  it("a prune that returned stays done after a power cut (no point comes back)", async () => {
    await withScene(async (scene) => {
      const before = await scene.durable();
      const point = await backUpImage(before, makeImage(8 * CHUNK, 42));
      const { repository, fs } = await scene.fragile();
      await executePrune(repository, await planPrune(repository, [point.pointId]));
      await fs.cut();
      assert.deepEqual(await (await scene.durable()).listPointIds(), []);
    });
  });

  it("a lock that was acquired is still there after the storage lost power under a live holder", async () => {
    await withScene(async (scene) => {
      const { repository, fs } = await scene.fragile();
      const lock = await RepositoryLock.acquire(repository.store, "writer", repository);
      await fs.cut();
      const after = await scene.durable();
      assert.deepEqual((await listLocks(after.store, "writer", after)).map((listed) => listed.key), [lock.key]);
      await after.store.remove(lock.key);
    });
  });

  it("a power cut at any moment of a backup, prune and gc leaves every published point whole", async () => {
    // How many file-system calls an uninterrupted run makes; the cuts are spread over all of them.
    const run = async (scene: Scene, cutAfterOperations?: number): Promise<{ fs: PowerCutFileSystem; published: boolean }> => {
      const setup = await scene.durable();
      const image = makeImage(16 * CHUNK, 43);
      const base = await backUpImage(setup, image);
      const { repository, fs } = await scene.fragile(cutAfterOperations === undefined ? {} : { cutAfterOperations });
      let published = false;
      try {
        const changed = Buffer.from(image);
        changed.fill(9, 3 * CHUNK, 5 * CHUNK);
        await backUpImage(repository, changed, { previousPointId: base.pointId, changed: [{ offsetBytes: 3 * CHUNK, lengthBytes: 2 * CHUNK }] });
        published = true;
        await executePrune(repository, await planPrune(repository, [base.pointId]));
        await collectGarbage(repository, { graceMs: 0 });
      } catch (error) {
        if (!fs.isCut) throw error;
      }
      await fs.cut();
      const after = await scene.durable();
      assert.deepEqual((await verifyRepository(after)).problems, [], `cut after ${cutAfterOperations ?? "no"} operations`);
      assert.ok((await after.listPointIds()).length >= (published ? 1 : 0), "a point whose commit returned is still there");
      return { fs, published };
    };
    let total = 0;
    await withScene(async (scene) => {
      const whole = await run(scene);
      assert.ok(whole.published);
      total = whole.fs.operations;
    });
    const cuts = 24;
    let cutBeforePublished = 0;
    for (let cut = 1; cut <= cuts; cut += 1) {
      await withScene(async (scene) => {
        const result = await run(scene, Math.round((cut * total) / (cuts + 1)));
        if (!result.published) cutBeforePublished += 1;
      });
    }
    assert.ok(cutBeforePublished > 0 && cutBeforePublished < cuts, `cuts fell before and after publication (${cutBeforePublished} of ${cuts} before)`);
  });
});
