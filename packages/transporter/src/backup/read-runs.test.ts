import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { blockAlignedRunChunks, wholeBlockChunks } from "./block-fingerprint-table.js";
import { READS_IN_FLIGHT, RUN_BYTES, consecutiveRuns, readsInFlightFor } from "./read-runs.js";

const K = 1024;

describe("read runs", () => {
  it("groups sorted chunks into runs of consecutive chunks, none longer than asked", () => {
    assert.deepEqual(consecutiveRuns([0, 1, 2, 5, 6, 9], 2), [
      { first: 0, count: 2 },
      { first: 2, count: 1 },
      { first: 5, count: 2 },
      { first: 9, count: 1 },
    ]);
    assert.deepEqual(consecutiveRuns([], 4), []);
  });

  const inFlight: [string, { first: number; count: number }[], number][] = [
    ["nothing to read: one", [], 1],
    ["long runs: the base number", [{ first: 0, count: 16 }], READS_IN_FLIGHT],
    ["runs of one 256 KiB chunk: more in flight, bounded so about the same bytes are in memory", [{ first: 0, count: 1 }, { first: 5, count: 1 }], 16],
    ["runs of 2 MiB: twice the base", [{ first: 0, count: 8 }], 8],
  ];
  for (const [name, runs, expected] of inFlight) it(`reads in flight, ${name}`, () => assert.equal(readsInFlightFor(runs, 256 * K), expected));

  it("a read holds whole blocks when blocks are larger than chunks", () => {
    assert.equal(blockAlignedRunChunks(RUN_BYTES, 256 * K, undefined), 16);
    assert.equal(blockAlignedRunChunks(RUN_BYTES, 256 * K, 64 * K), 16, "blocks inside a chunk change nothing");
    assert.equal(blockAlignedRunChunks(3 * 256 * K, 256 * K, 512 * K), 2, "rounded down to whole blocks");
    assert.equal(blockAlignedRunChunks(256 * K, 256 * K, 1024 * K), 4, "never less than one block");
  });

  it("widens a chunk selection to the whole blocks it touches, stopping at the disk's end", () => {
    assert.deepEqual(wholeBlockChunks([1, 5], 16 * K, 4 * K, 8), [1, 5], "blocks inside chunks: unchanged");
    assert.deepEqual(wholeBlockChunks([1, 2, 9], 16 * K, 64 * K, 10), [0, 1, 2, 3, 8, 9]);
  });
});
