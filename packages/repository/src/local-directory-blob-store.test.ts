import { strict as assert } from "node:assert";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";

for (const fsync of ["batched", "per-file"] as const) {
  runBlobStoreConformance(`LocalDirectoryBlobStore (${fsync} fsync)`, async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-blobstore-"));
    return { store: new LocalDirectoryBlobStore(root, { fsync }), cleanup: () => rm(root, { recursive: true, force: true }) };
  });
}

describe("LocalDirectoryBlobStore temporary files", () => {
  const tmpFiles = (root: string): Promise<string[]> => readdir(join(root, "tmp")).catch(() => []);

  it("a discarded batch leaves none, even of a write still in progress when it was discarded", async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-blobstore-tmp-"));
    try {
      const batch = new LocalDirectoryBlobStore(root).batch();
      await batch.write("a/1", Buffer.from("written"));
      const inProgress = batch.write("a/2", Buffer.alloc(1024 * 1024, 7));
      await batch.discard();
      assert.deepEqual(await tmpFiles(root), []);
      await inProgress;
      assert.deepEqual(await tmpFiles(root), [], "the write in progress was waited for and removed");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("a flush that fails removes the temporary files it was flushing", async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-blobstore-tmp-"));
    try {
      const batch = new LocalDirectoryBlobStore(root).batch();
      for (const name of ["1", "2", "3"]) await batch.write(`b/${name}`, Buffer.from(name));
      // One temporary file vanishes before it is synced: the flush fails there.
      const [first] = await tmpFiles(root);
      await rm(join(root, "tmp", first as string));
      await assert.rejects(batch.flush(), /does not exist/);
      assert.deepEqual(await tmpFiles(root), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
