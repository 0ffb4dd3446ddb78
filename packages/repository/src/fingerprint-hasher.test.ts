import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { FingerprintHasher } from "./fingerprint-hasher.js";
import { makeImage } from "./test-disk.js";

const BLOCK = 4096;

function expected(algorithm: string, data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < data.byteLength; start += BLOCK) parts.push(createHash(algorithm).update(data.subarray(start, start + BLOCK)).digest());
  return Buffer.concat(parts);
}

describe("FingerprintHasher", () => {
  for (const threads of [0, 1] as const) {
    for (const algorithm of ["md5", "sha1", "sha256"] as const) {
      it(`${algorithm}, ${threads === 0 ? "inline" : "on a worker"}: one digest per block, the last block short, the data handed back intact`, async () => {
        const image = makeImage(5 * BLOCK + 123, 7);
        const hasher = new FingerprintHasher(algorithm, BLOCK, { threads });
        try {
          const owned = Buffer.allocUnsafeSlow(image.byteLength);
          image.copy(owned);
          const { digests, data } = await hasher.hash(owned);
          assert.deepEqual(digests, expected(algorithm, image));
          assert.deepEqual(Buffer.from(data), image);
          // A slice of a bigger buffer is copied, not transferred, and stays usable.
          const slice = image.subarray(BLOCK, 3 * BLOCK);
          assert.deepEqual((await hasher.hash(slice)).digests, expected(algorithm, image).subarray(digests.byteLength / 6, (3 * digests.byteLength) / 6));
          assert.equal(slice.byteLength, 2 * BLOCK);
        } finally {
          await hasher.close();
        }
      });
    }
  }

  it("refuses a block size that is not a power of two in bounds", () => {
    assert.throws(() => new FingerprintHasher("md5", 3000, { threads: 0 }), /power of two/);
  });
});
