// compareFingerprints: block by block, the count and the first that differs; sets of different kinds are
// never compared.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { DiskFingerprints } from "@esxbackup/domain";
import { compareFingerprints } from "./verify-restored-disk.js";

function fingerprints(blocks: number[], options: { blockSizeBytes?: number; algorithm?: "md5" | "sha1" } = {}): DiskFingerprints {
  const width = options.algorithm === "md5" ? 16 : 20;
  const blockSizeBytes = options.blockSizeBytes ?? 65536;
  const digests = new Uint8Array(blocks.length * width);
  blocks.forEach((value, block) => digests.fill(value, block * width, (block + 1) * width));
  return { algorithm: options.algorithm ?? "sha1", blockSizeBytes, digestLengthBytes: width, sizeBytes: blocks.length * blockSizeBytes, digests };
}

describe("compareFingerprints", () => {
  const cases: { name: string; expected: number[]; actual: number[]; want: ReturnType<typeof compareFingerprints> }[] = [
    { name: "equal", expected: [1, 2, 3, 4], actual: [1, 2, 3, 4], want: { blocks: 4, mismatchedBlocks: 0 } },
    { name: "one block differs", expected: [1, 2, 3, 4], actual: [1, 2, 9, 4], want: { blocks: 4, mismatchedBlocks: 1, firstMismatchBytes: 2 * 65536 } },
    { name: "the first and the last differ", expected: [1, 2, 3, 4], actual: [0, 2, 3, 0], want: { blocks: 4, mismatchedBlocks: 2, firstMismatchBytes: 0 } },
    { name: "every block differs", expected: [1, 2], actual: [3, 4], want: { blocks: 2, mismatchedBlocks: 2, firstMismatchBytes: 0 } },
  ];
  for (const { name, expected, actual, want } of cases) {
    it(name, () => assert.deepEqual(compareFingerprints(fingerprints(expected), fingerprints(actual)), want));
  }

  it("a digest differing in its last byte only counts", () => {
    const actual = fingerprints([1, 2]);
    actual.digests[actual.digests.length - 1] = 0xff;
    assert.deepEqual(compareFingerprints(fingerprints([1, 2]), actual), { blocks: 2, mismatchedBlocks: 1, firstMismatchBytes: 65536 });
  });

  it("refuses sets of different kinds or lengths", () => {
    assert.throws(() => compareFingerprints(fingerprints([1, 2]), fingerprints([1, 2], { algorithm: "md5" })), /different kinds: sha1\/65536 .* against md5\/65536/u);
    assert.throws(() => compareFingerprints(fingerprints([1, 2]), fingerprints([1, 2, 3])), /different kinds/u);
    assert.throws(() => compareFingerprints(fingerprints([1, 2]), fingerprints([1], { blockSizeBytes: 131072 })), /different kinds/u);
  });
});
