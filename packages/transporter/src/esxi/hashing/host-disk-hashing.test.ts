import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { joinHostBlockHashes, splitDiskForHashing } from "./host-disk-hashing.js";

const K = 1024;
const kind = { algorithm: "md5", blockSizeBytes: 64 * K } as const;
const hashesOf = (blocks: number, fill: number): { digests: Buffer; zeroBlocks: Uint8Array } => ({ digests: Buffer.alloc(blocks * 16, fill), zeroBlocks: new Uint8Array(blocks).fill(fill % 2) });

describe("splitDiskForHashing / joinHostBlockHashes", () => {
  it("splits on block boundaries, the short last block in the last part, every byte once", () => {
    const size = 10 * 64 * K + 100;
    const parts = splitDiskForHashing("/vmfs/volumes/ds/v/v-flat.vmdk", size, kind, 3);
    assert.deepEqual(parts.map((p) => [p.offsetBytes, p.lengthBytes]), [[0, 3 * 64 * K], [3 * 64 * K, 4 * 64 * K], [7 * 64 * K, 3 * 64 * K + 100]]);
    assert.equal(parts[0]?.path, "/vmfs/volumes/ds/v/v-flat.vmdk");
    assert.deepEqual(splitDiskForHashing("p", 100, kind, 4).map((p) => [p.offsetBytes, p.lengthBytes]), [[0, 100]]);
    assert.throws(() => splitDiskForHashing("p", 100, kind, 0), /parts must be/u);
  });

  it("joins the parts' digests and zero maps in disk order", () => {
    const size = 5 * 64 * K;
    const [first, second] = splitDiskForHashing("p", size, kind, 2);
    assert.ok(first !== undefined && second !== undefined);
    const joined = joinHostBlockHashes(size, kind, [{ request: first, hashes: hashesOf(2, 1) }, { request: second, hashes: hashesOf(3, 2) }]);
    assert.deepEqual(joined.fingerprints.digests, Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(48, 2)]));
    assert.deepEqual([...joined.zeroBlocks], [1, 1, 0, 0, 0]);
    assert.equal(joined.fingerprints.sizeBytes, size);
    assert.equal(joined.fingerprints.digestLengthBytes, 16);
  });

  it("refuses parts out of order, missing, of another kind or of the wrong block count", () => {
    const size = 4 * 64 * K;
    const [first, second] = splitDiskForHashing("p", size, kind, 2);
    assert.ok(first !== undefined && second !== undefined);
    assert.throws(() => joinHostBlockHashes(size, kind, [{ request: second, hashes: hashesOf(2, 0) }, { request: first, hashes: hashesOf(2, 0) }]), /does not follow byte 0/u);
    assert.throws(() => joinHostBlockHashes(size, kind, [{ request: first, hashes: hashesOf(2, 0) }]), /cover 131072 bytes of a 262144-byte disk/u);
    assert.throws(() => joinHostBlockHashes(size, kind, [{ request: { ...first, algorithm: "sha1" }, hashes: hashesOf(2, 0) }]), /does not follow/u);
    assert.throws(() => joinHostBlockHashes(size, kind, [{ request: first, hashes: hashesOf(3, 0) }, { request: second, hashes: hashesOf(2, 0) }]), /holds 3 blocks/u);
  });
});
