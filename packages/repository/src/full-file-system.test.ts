import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";
import { collectGarbage } from "./collect-garbage.js";
import { PointWriter } from "./point-writer.js";
import { executePrune, planPrune } from "./prune-points.js";
import { Repository } from "./repository.js";
import { SPACE_RESERVE_KEY } from "./repository-layout.js";
import { backUpImage, readWholeDisk, sha256 } from "./test-disk.js";
import { verifyRepository } from "./verify-repository.js";
import { fillUp, withSmallFileSystem } from "./small-file-system.js";

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;

describe("a repository on a file system that fills up", () => {
  it("a backup that runs out of space removes every temporary chunk file it wrote", async () => {
    await withSmallFileSystem(3 * MiB, async (root) => {
      const repository = await Repository.init(new LocalDirectoryBlobStore(root), { chunkSizeBytes: CHUNK, threads: 2 });
      await fillUp(root, "filler");
      await truncate(join(root, "filler"), (await stat(join(root, "filler"))).size - MiB);
      const image = randomBytes(4 * MiB);
      const writer = await PointWriter.begin(repository, { vm: { name: "v", id: "1" }, host: "h" });
      const disk = await writer.openDisk({ key: "scsi0:0", name: "d", sizeBytes: image.byteLength });
      // Like backup-image: many chunks in flight; the first failure aborts the writer while others still run.
      const writes = Array.from({ length: disk.chunkCount }, (_, chunk) => disk.writeChunk(chunk, image.subarray(chunk * CHUNK, (chunk + 1) * CHUNK)));
      await assert.rejects(
        (async () => {
          try {
            await Promise.all(writes);
            await writer.commit();
          } catch (error) {
            await writer.abort();
            throw error;
          }
        })(),
        /no space left on device \(ENOSPC\)/,
      );
      assert.deepEqual(await readdir(join(root, "tmp")), [], "abort removed every temporary file, including those of writes still in flight");
      // Space comes back (a prune and gc elsewhere) while chunks of the aborted backup are still queued.
      await rm(join(root, "filler"));
      await Promise.allSettled(writes);
      assert.deepEqual(await readdir(join(root, "tmp")), [], "nothing written after the abort either");
      assert.deepEqual(await repository.listPointIds(), []);
      await repository.close();
    });
  });

  for (const full of ["prune", "gc"] as const) {
    it(`${full === "prune" ? "prune, then gc," : "gc"} on a file system full to the last byte frees the space and puts the reserve back`, async () => {
      await withSmallFileSystem(4 * MiB, async (root) => {
        const store = new LocalDirectoryBlobStore(root);
        const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 1 });
        const kept = randomBytes(MiB / 2);
        const old = await backUpImage(repository, randomBytes(MiB));
        const young = await backUpImage(repository, kept);
        const prune = async (): Promise<void> => executePrune(repository, await planPrune(repository, [old.pointId]));
        if (full === "gc") await prune();
        // Whatever filled it (another backup, a log file): not one more byte fits.
        await fillUp(root, "filler");
        await assert.rejects(writeFile(join(root, "one-byte"), "x"), /ENOSPC/);
        await assert.rejects(backUpImage(repository, randomBytes(CHUNK)), /ENOSPC/);
        if (full === "prune") await prune();
        assert.deepEqual(await repository.listPointIds(), [young.pointId]);
        const gc = await collectGarbage(repository, { graceMs: 0 });
        assert.equal(gc.chunksDeleted, MiB / CHUNK);
        assert.equal(sha256(await readWholeDisk(repository, young.pointId)), sha256(kept));
        assert.deepEqual((await verifyRepository(repository)).problems, []);
        assert.ok((await store.stat(SPACE_RESERVE_KEY)) !== undefined, "gc put the reserve back once it had freed space");
        assert.deepEqual(await readdir(join(root, "tmp")), []);
        await repository.close();
      });
    });
  }
});
