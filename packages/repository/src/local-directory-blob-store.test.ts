import { strict as assert } from "node:assert";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";
import { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";

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

describe("LocalDirectoryBlobStore over a path that is a file", () => {
  it("reads as missing (a repository there is refused as bad input naming the file), not as a failed read", async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-blobstore-file-"));
    try {
      const file = join(root, "not-a-folder");
      await writeFile(file, "x");
      const store = new LocalDirectoryBlobStore(file);
      await assert.rejects(store.read("config.json"), (error: unknown) => error instanceof RepositoryFileError && error.problem === "missing" && /a folder on its path is a file/u.test(error.message));
      await assert.rejects(Repository.open(store), (error: unknown) => error instanceof InvalidInputError && error.message.includes(`${file}/config.json does not exist: not an esxbackup repository`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
