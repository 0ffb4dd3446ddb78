import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";

for (const fsync of ["batched", "per-file"] as const) {
  runBlobStoreConformance(`LocalDirectoryBlobStore (${fsync} fsync)`, async () => {
    const root = await mkdtemp(join(tmpdir(), "esxbackup-blobstore-"));
    return { store: new LocalDirectoryBlobStore(root, { fsync }), cleanup: () => rm(root, { recursive: true, force: true }) };
  });
}
