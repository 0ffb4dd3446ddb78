import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { sourceZeroChunkGroups } from "./source-zero-chunks.js";
import type { ChunkGroup } from "./source-zero-chunks.js";

const K = 1024;
const map = (flags: string): Uint8Array => Uint8Array.from([...flags].map((flag) => (flag === "Z" ? 1 : 0)));

describe("sourceZeroChunkGroups: the chunks of a run the source found all zero, in groups of one kind", () => {
  const table: [string, Parameters<typeof sourceZeroChunkGroups>[0], ChunkGroup[]][] = [
    [
      "four 64 KiB blocks per 256 KiB chunk: a chunk is zero only when its four blocks are",
      { zeroBlocks: map("DDDD" + "ZZZZ" + "ZZZD" + "ZZZZ"), blockSizeBytes: 64 * K, chunkSizeBytes: 256 * K, runBytes: 1024 * K },
      [
        { first: 0, count: 1, bytes: 256 * K, zero: false },
        { first: 1, count: 1, bytes: 256 * K, zero: true },
        { first: 2, count: 1, bytes: 256 * K, zero: false },
        { first: 3, count: 1, bytes: 256 * K, zero: true },
      ],
    ],
    [
      "consecutive chunks of one kind make one group",
      { zeroBlocks: map("ZZZZZZZZ" + "DZZZZZZD"), blockSizeBytes: 64 * K, chunkSizeBytes: 256 * K, runBytes: 1024 * K },
      [
        { first: 0, count: 2, bytes: 512 * K, zero: true },
        { first: 2, count: 2, bytes: 512 * K, zero: false },
      ],
    ],
    [
      "a 1 MiB block holds four chunks, all zero or none",
      { zeroBlocks: map("ZD"), blockSizeBytes: 1024 * K, chunkSizeBytes: 256 * K, runBytes: 2048 * K },
      [
        { first: 0, count: 4, bytes: 1024 * K, zero: true },
        { first: 4, count: 4, bytes: 1024 * K, zero: false },
      ],
    ],
    [
      "the disk's end: a short last chunk over a short last block",
      { zeroBlocks: map("DDDD" + "Z"), blockSizeBytes: 64 * K, chunkSizeBytes: 256 * K, runBytes: 256 * K + 8 * K },
      [
        { first: 0, count: 1, bytes: 256 * K, zero: false },
        { first: 1, count: 1, bytes: 8 * K, zero: true },
      ],
    ],
  ];
  for (const [name, input, expected] of table) it(name, () => assert.deepEqual(sourceZeroChunkGroups(input), expected));

  it("a zero map shorter than the run is an error, never a guess", () => {
    assert.throws(() => sourceZeroChunkGroups({ zeroBlocks: map("ZZZZ"), blockSizeBytes: 64 * K, chunkSizeBytes: 256 * K, runBytes: 512 * K }), /does not cover bytes 262144–524288/u);
  });
});
