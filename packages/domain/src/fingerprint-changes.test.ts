import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { DiskFingerprints } from "./block-fingerprints.js";
import { checkFingerprintBlockSize, isFingerprintAlgorithm } from "./block-fingerprints.js";
import { fingerprintBlockCount } from "./block-fingerprints.js";
import { changedRangesFromFingerprints } from "./fingerprint-changes.js";
import { InvalidInputError } from "./invalid-input-error.js";

const BLOCK = 4096;

/** Fingerprints with one-byte "digests" (values given per block), enough to exercise the comparison. */
function prints(sizeBytes: number, values: number[], kind: Partial<DiskFingerprints> = {}): DiskFingerprints {
  assert.equal(values.length, fingerprintBlockCount(sizeBytes, BLOCK));
  return { algorithm: "md5", blockSizeBytes: BLOCK, digestLengthBytes: 1, sizeBytes, digests: Uint8Array.from(values), ...kind };
}

describe("changedRangesFromFingerprints", () => {
  const size = 5 * BLOCK + 100;
  const base = [1, 2, 3, 4, 5, 6];
  const table: [string, DiskFingerprints, { offsetBytes: number; lengthBytes: number }[]][] = [
    ["identical: nothing changed", prints(size, base), []],
    ["one block differs: exactly that block", prints(size, [1, 2, 9, 4, 5, 6]), [{ offsetBytes: 2 * BLOCK, lengthBytes: BLOCK }]],
    ["adjacent blocks merged", prints(size, [1, 9, 9, 9, 5, 6]), [{ offsetBytes: BLOCK, lengthBytes: 3 * BLOCK }]],
    [
      "separate blocks stay separate",
      prints(size, [9, 2, 9, 4, 5, 6]),
      [{ offsetBytes: 0, lengthBytes: BLOCK }, { offsetBytes: 2 * BLOCK, lengthBytes: BLOCK }],
    ],
    ["the last short block", prints(size, [1, 2, 3, 4, 5, 9]), [{ offsetBytes: 5 * BLOCK, lengthBytes: 100 }]],
    ["a change running into the last short block", prints(size, [1, 2, 3, 4, 9, 9]), [{ offsetBytes: 4 * BLOCK, lengthBytes: BLOCK + 100 }]],
    [
      "grown disk: the old short block and the new tail changed",
      prints(7 * BLOCK, [1, 2, 3, 4, 5, 6, 7]),
      [{ offsetBytes: 5 * BLOCK, lengthBytes: 2 * BLOCK }],
    ],
    ["shrunk disk: only the block whose length changed", prints(3 * BLOCK + 10, [1, 2, 3, 4]), [{ offsetBytes: 3 * BLOCK, lengthBytes: 10 }]],
    ["an empty disk has nothing to change", prints(0, []), []],
  ];
  for (const [name, current, expected] of table) {
    it(name, () => assert.deepEqual(changedRangesFromFingerprints(prints(size, base), current), expected));
  }

  it("real digests: multi-byte digests compared whole", () => {
    const previous = prints(2 * BLOCK, [0, 0], { digestLengthBytes: 2, digests: Uint8Array.from([1, 2, 3, 4]) });
    const current = { ...previous, digests: Uint8Array.from([1, 2, 3, 5]) };
    assert.deepEqual(changedRangesFromFingerprints(previous, current), [{ offsetBytes: BLOCK, lengthBytes: BLOCK }]);
  });

  for (const [name, other] of [
    ["another algorithm", { algorithm: "sha1" }],
    ["another block size", { blockSizeBytes: 2 * BLOCK, digests: Uint8Array.from([1, 2, 3]) }],
    ["a digest buffer of the wrong length", { digests: Uint8Array.from([1, 2]) }],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => changedRangesFromFingerprints(prints(size, base), { ...prints(size, base), ...other }),
        (error: unknown) => error instanceof InvalidInputError && /^fingerprints: /.test(error.message),
      );
    });
  }
});

describe("fingerprint kinds", () => {
  it("knows the busybox algorithms only", () => {
    assert.deepEqual(["md5", "sha1", "sha256", "xxh64", "toString"].map(isFingerprintAlgorithm), [true, true, true, false, false]);
  });
  for (const bad of [0, 3000, 2048, 32 * 1024 * 1024, 65537]) {
    it(`refuses block size ${bad}`, () => assert.throws(() => checkFingerprintBlockSize(bad, "--fingerprints"), /^InvalidInputError: --fingerprints: the block size must be a power of two/));
  }
  it("accepts the bounds", () => {
    checkFingerprintBlockSize(4096, "x");
    checkFingerprintBlockSize(16 * 1024 * 1024, "x");
  });
});
