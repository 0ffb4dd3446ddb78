import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { DiskFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import { planDiskChanges } from "./plan-disk-changes.js";
import type { ChunkBuild, DiskChangeInput, DiskChangePlan } from "./plan-disk-changes.js";

const K = 1024;
const BLOCK = 4 * K;
const CHUNK = 16 * K;

/**
 * A disk written as one letter per block ("ab0c": blocks a, b, zero, c); `tailBytes` makes the last block
 * shorter. Equal letters at the same place have equal digests; the digest mixes in the block's length, as
 * a real one would.
 */
function disk(blocks: string, options: { tailBytes?: number; algorithm?: FingerprintAlgorithm; blockSizeBytes?: number } = {}): DiskChangeInput["current"] {
  const algorithm = options.algorithm ?? "md5";
  const block = options.blockSizeBytes ?? BLOCK;
  const sizeBytes = (blocks.length - (options.tailBytes === undefined ? 0 : 1)) * block + (options.tailBytes ?? 0);
  const lengthOf = (i: number): number => Math.min(block, sizeBytes - i * block);
  const digests = Buffer.concat([...blocks].map((letter, i) => createHash(algorithm).update(`${letter}:${lengthOf(i)}`).digest()));
  const zeroBlocks = Uint8Array.from([...blocks], (letter) => (letter === "0" ? 1 : 0));
  const digestLengthBytes = algorithm === "md5" ? 16 : algorithm === "sha1" ? 20 : 32;
  const fingerprints: DiskFingerprints = { algorithm, blockSizeBytes: block, digestLengthBytes, sizeBytes, digests };
  return { fingerprints, zeroBlocks };
}

function previous(current: DiskChangeInput["current"]): NonNullable<DiskChangeInput["previous"]> {
  return { sizeBytes: current.fingerprints.sizeBytes, fingerprints: current.fingerprints };
}

const ranges = (...pairs: [number, number][]): { offsetBytes: number; lengthBytes: number }[] => pairs.map(([offsetBytes, lengthBytes]) => ({ offsetBytes, lengthBytes }));
const chunks = (spec: string): ChunkBuild[] =>
  spec === "" ? [] : spec.split(" ").map((item) => ({ index: Number(item.slice(0, -1)), kind: ({ z: "zero", n: "new", p: "patch" } as const)[item.slice(-1) as "z" | "n" | "p"] }));

describe("planDiskChanges", () => {
  // Chunks of 16 KiB hold 4 blocks of 4 KiB; the spaces in the letters mark chunk boundaries for the reader.
  const table: [string, DiskChangeInput, DiskChangePlan][] = [
    ["first backup: every non-zero block read, chunks new or zero",
      { chunkSizeBytes: CHUNK, current: disk("ab00" + "0000" + "c", { tailBytes: 100 }) },
      { kind: "read", readRanges: ranges([0, 8 * K], [32 * K, 100]), chunks: chunks("0n 1z 2n"), zeroRanges: ranges([8 * K, 24 * K]), zeroBytesSkipped: 24 * K }],
    ["nothing changed: nothing read, every chunk taken over",
      { chunkSizeBytes: CHUNK, current: disk("abcd" + "ef00"), previous: previous(disk("abcd" + "ef00")) },
      { kind: "read", readRanges: [], chunks: [], zeroRanges: [], zeroBytesSkipped: 0 }],
    ["one 4 KiB block changed: 4 KiB read, its chunk patched from the previous one",
      { chunkSizeBytes: CHUNK, current: disk("abcd" + "eXgh"), previous: previous(disk("abcd" + "efgh")) },
      { kind: "read", readRanges: ranges([20 * K, 4 * K]), chunks: chunks("1p"), zeroRanges: [], zeroBytesSkipped: 0 }],
    ["adjacent changed blocks across a chunk boundary: one range, two patched chunks",
      { chunkSizeBytes: CHUNK, current: disk("abcX" + "Yfgh"), previous: previous(disk("abcd" + "efgh")) },
      { kind: "read", readRanges: ranges([12 * K, 8 * K]), chunks: chunks("0p 1p"), zeroRanges: [], zeroBytesSkipped: 0 }],
    ["a whole chunk changed: new, no previous bytes needed",
      { chunkSizeBytes: CHUNK, current: disk("WXYZ" + "efgh"), previous: previous(disk("abcd" + "efgh")) },
      { kind: "read", readRanges: ranges([0, 16 * K]), chunks: chunks("0n"), zeroRanges: [], zeroBytesSkipped: 0 }],
    ["a block zeroed since: not read, the chunk patched with zeros",
      { chunkSizeBytes: CHUNK, current: disk("ab0d" + "efgh"), previous: previous(disk("abcd" + "efgh")) },
      { kind: "read", readRanges: [], chunks: chunks("0p"), zeroRanges: ranges([8 * K, 4 * K]), zeroBytesSkipped: 4 * K }],
    ["a chunk zeroed since (trimmed): a zero chunk, nothing read",
      { chunkSizeBytes: CHUNK, current: disk("abcd" + "0000"), previous: previous(disk("abcd" + "ef0h")) },
      { kind: "read", readRanges: [], chunks: chunks("1z"), zeroRanges: ranges([16 * K, 8 * K], [28 * K, 4 * K]), zeroBytesSkipped: 12 * K }],
    ["disk grown by two blocks: the tail read, its chunk new",
      { chunkSizeBytes: CHUNK, current: disk("abcd" + "efgh" + "ij"), previous: previous(disk("abcd" + "efgh")) },
      { kind: "read", readRanges: ranges([32 * K, 8 * K]), chunks: chunks("2n"), zeroRanges: [], zeroBytesSkipped: 0 }],
    ["disk grown from a partial last block: that block's length changed, so it is read",
      { chunkSizeBytes: CHUNK, current: disk("abcd" + "efgh"), previous: previous(disk("abcd" + "efgh", { tailBytes: 512 })) },
      { kind: "read", readRanges: ranges([28 * K, 4 * K]), chunks: chunks("1p"), zeroRanges: [], zeroBytesSkipped: 0 }],
    ["disk shrunk by a block, nothing else changed: nothing read, the last chunk patched to its new length",
      { chunkSizeBytes: CHUNK, current: disk("abcd" + "efg"), previous: previous(disk("abcd" + "efgh")) },
      { kind: "read", readRanges: [], chunks: chunks("1p"), zeroRanges: [], zeroBytesSkipped: 0 }],
    ["blocks larger than chunks: a changed 8 KiB block makes its two 4 KiB chunks new",
      { chunkSizeBytes: 4 * K, current: disk("aXc", { blockSizeBytes: 8 * K }), previous: previous(disk("abc", { blockSizeBytes: 8 * K })) },
      { kind: "read", readRanges: ranges([8 * K, 8 * K]), chunks: chunks("2n 3n"), zeroRanges: [], zeroBytesSkipped: 0 }],
  ];
  for (const [name, input, expected] of table) it(name, () => assert.deepEqual(planDiskChanges(input), expected));

  const current = disk("abcd" + "efgh");
  const rehash: [string, NonNullable<DiskChangeInput["previous"]>, RegExp][] = [
    ["previous point without fingerprints (made by anything else)", { sizeBytes: 32 * K }, /has no fingerprints for this disk/u],
    ["another algorithm", previous(disk("abcd" + "efgh", { algorithm: "sha1" })), /sha1 per 4096-byte block, the host's md5 per 4096-byte block/u],
    ["another block size", previous(disk("abcd", { blockSizeBytes: 8 * K })), /md5 per 8192-byte block, the host's md5 per 4096/u],
    ["fingerprints of another size than the disk", { sizeBytes: 36 * K, fingerprints: current.fingerprints }, /describe 32768 bytes, its disk holds 36864/u],
    ["a digest table of the wrong length", { sizeBytes: 32 * K, fingerprints: { ...current.fingerprints, digests: current.fingerprints.digests.subarray(16) } }, /hold 112 bytes of digests, expected 128/u],
  ];
  for (const [name, prev, reason] of rehash) {
    it(`re-hash, never a full read: ${name}`, () => {
      const plan = planDiskChanges({ chunkSizeBytes: CHUNK, current, previous: prev });
      assert.equal(plan.kind, "re-hash-previous");
      assert.match(plan.kind === "re-hash-previous" ? plan.reason : "", reason);
    });
  }

  it("refuses a zero map that does not match the fingerprints", () => {
    assert.throws(() => planDiskChanges({ chunkSizeBytes: CHUNK, current: { ...current, zeroBlocks: new Uint8Array(3) } }), /3 entries for 8 blocks/u);
  });
});
