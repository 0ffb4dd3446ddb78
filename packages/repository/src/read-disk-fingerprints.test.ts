import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { EnvelopeKind } from "./envelope.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { readDiskFingerprints } from "./read-disk-fingerprints.js";
import { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { fingerprintsKey } from "./repository-layout.js";
import { backUpImage, makeImage } from "./test-disk.js";
import { TEST_FINGERPRINT_BLOCK, backUpWithFingerprints, md5Blocks } from "./test-fingerprints.js";

const CHUNK = 8 * 1024;
const BLOCK = TEST_FINGERPRINT_BLOCK;

describe("readDiskFingerprints", () => {
  async function setUp(): Promise<{ store: MemoryBlobStore; repository: Repository; image: Buffer; point: PointId }> {
    const store = new MemoryBlobStore();
    const repository = await Repository.init(store, { chunkSizeBytes: CHUNK, threads: 0 });
    const image = makeImage(3 * CHUNK + 1000, 3);
    return { store, repository, image, point: await backUpWithFingerprints(repository, image) };
  }

  it("reads back what the writer recorded", async () => {
    const { repository, image, point } = await setUp();
    const read = await readDiskFingerprints(repository, point, 0);
    assert.deepEqual(read, { algorithm: "md5", blockSizeBytes: BLOCK, digestLengthBytes: 16, sizeBytes: image.byteLength, digests: md5Blocks(image) });
  });

  it("gives undefined for a disk recorded without fingerprints, and refuses a disk that does not exist", async () => {
    const { repository, image } = await setUp();
    const plain = (await backUpImage(repository, image)).pointId;
    assert.equal(await readDiskFingerprints(repository, plain, 0), undefined);
    await assert.rejects(readDiskFingerprints(repository, plain, 1), /^InvalidInputError: disk: point .* has 1 disk\(s\), numbered from 0 \(got 1\)/);
  });

  const damage: [string, (repository: Repository, plain: Buffer, key: string) => Buffer, RegExp][] = [
    ["a flipped byte", (_, file) => Buffer.concat([file.subarray(0, 20), Buffer.from([(file[20] ?? 0) ^ 1]), file.subarray(21)]), /checksum mismatch/],
    ["a sound envelope one digest short", (repository, _, key) => repository.sealEnvelope(EnvelopeKind.fingerprints, Buffer.concat([Buffer.from([16, 0, 0, 0]), Buffer.alloc(16 * 6)]), key), /holds 100 bytes, expected 116/],
    ["a sound envelope with another digest length", (repository, _, key) => repository.sealEnvelope(EnvelopeKind.fingerprints, Buffer.from([20, 0, 0, 0]), key), /holds 20-byte digests, the manifest says 16/],
    ["an envelope of another kind", (repository, _, key) => repository.sealEnvelope(EnvelopeKind.index, Buffer.from([16, 0, 0, 0]), key), /holds kind 2, expected 4/],
  ];
  for (const [name, replace, problem] of damage) {
    it(`reports ${name} as a RepositoryFileError naming the file`, async () => {
      const { store, repository, point } = await setUp();
      store.corrupt(fingerprintsKey(point, 0), (data) => replace(repository, data, fingerprintsKey(point, 0)));
      await assert.rejects(readDiskFingerprints(repository, point, 0), (error: unknown) => {
        assert.ok(error instanceof RepositoryFileError);
        assert.equal(error.path, `memory:${fingerprintsKey(point, 0)}`);
        assert.match(error.message, problem);
        return true;
      });
    });
  }
});
