import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { planBuildRuns, readChunksWhole } from "./build-runs.js";
import type { BuildRun } from "./build-runs.js";
import type { ChunkBuild } from "./plan-disk-changes.js";

const K = 1024;
const CHUNK = 64 * K;
const range = (offsetKiB: number, lengthKiB: number): { offsetBytes: number; lengthBytes: number } => ({ offsetBytes: offsetKiB * K, lengthBytes: lengthKiB * K });
const builds = (spec: string): ChunkBuild[] =>
  [...spec].flatMap((letter, index): ChunkBuild[] => (letter === "z" ? [{ index, kind: "zero" }] : letter === "n" ? [{ index, kind: "new" }] : letter === "p" ? [{ index, kind: "patch" }] : []));

describe("planBuildRuns: chunks to rebuild grouped into runs, each with the changed blocks within it", () => {
  // One letter per 64 KiB chunk: n new, p patch, z zero, . taken over.
  const table: [string, string, { offsetBytes: number; lengthBytes: number }[], number, BuildRun[]][] = [
    ["one 4 KiB block in a patched chunk: one small read", ".p..", [range(68, 4)], 16, [{ first: 1, count: 1, patch: [1], reads: [range(68, 4)], zeros: [] }]],
    ["scattered patched chunks: a run each", "p.p", [range(0, 4), range(136, 8)], 16, [
      { first: 0, count: 1, patch: [0], reads: [range(0, 4)], zeros: [] },
      { first: 2, count: 1, patch: [2], reads: [range(136, 8)], zeros: [] },
    ]],
    ["adjacent chunks in one run; a read across their boundary split at no chunk boundary", "pp", [range(60, 8)], 16, [{ first: 0, count: 2, patch: [0, 1], reads: [range(60, 8)], zeros: [] }]],
    ["a long new stretch cut into runs of at most maxRunChunks, its read cut with it", "nnnnn", [range(0, 320)], 2, [
      { first: 0, count: 2, patch: [], reads: [range(0, 128)], zeros: [] },
      { first: 2, count: 2, patch: [], reads: [range(128, 128)], zeros: [] },
      { first: 4, count: 1, patch: [], reads: [range(256, 64)], zeros: [] },
    ]],
    ["zero chunks are no part of any run and break it", "nzn", [range(0, 64), range(128, 64)], 16, [
      { first: 0, count: 1, patch: [], reads: [range(0, 64)], zeros: [] },
      { first: 2, count: 1, patch: [], reads: [range(128, 64)], zeros: [] },
    ]],
    ["a patched chunk with nothing to read (cut to a shrunk disk's new length)", "p", [], 16, [{ first: 0, count: 1, patch: [0], reads: [], zeros: [] }]],
    ["new and patched chunks mixed in one run", "np", [range(0, 64), range(100, 4)], 16, [{ first: 0, count: 2, patch: [1], reads: [range(0, 64), range(100, 4)], zeros: [] }]],
  ];
  for (const [name, spec, readRanges, maxRunChunks, expected] of table) {
    it(name, () => assert.deepEqual(planBuildRuns({ builds: builds(spec), readRanges, zeroRanges: [], chunkSizeBytes: CHUNK, sizeBytes: spec.length * CHUNK, maxRunChunks }), expected));
  }

  it("changed blocks found zero are zeroed in patched chunks only (a new chunk starts as zeros)", () => {
    assert.deepEqual(planBuildRuns({ builds: builds("pn.p"), readRanges: [range(4, 4)], zeroRanges: [range(8, 4), range(64, 64), range(196, 8)], chunkSizeBytes: CHUNK, sizeBytes: 4 * CHUNK, maxRunChunks: 16 }), [
      { first: 0, count: 2, patch: [0], reads: [range(4, 4)], zeros: [range(8, 4)] },
      { first: 3, count: 1, patch: [3], reads: [], zeros: [range(196, 8)] },
    ]);
  });

  it("the disk's short last chunk bounds the last run", () => {
    assert.deepEqual(planBuildRuns({ builds: builds("nn"), readRanges: [range(0, 100)], zeroRanges: [], chunkSizeBytes: CHUNK, sizeBytes: 100 * K, maxRunChunks: 16 }), [
      { first: 0, count: 2, patch: [], reads: [range(0, 100)], zeros: [] },
    ]);
  });
});

describe("readChunksWhole: chunks whose base is gone are read whole and built new", () => {
  it("turns a patched chunk new, adds an unchanged one, and merges the ranges that touch", () => {
    const result = readChunksWhole({ builds: builds(".p.z"), readRanges: [range(68, 4), range(140, 4)], chunks: [1, 2], chunkSizeBytes: CHUNK, sizeBytes: 4 * CHUNK });
    assert.deepEqual(result.builds, [{ index: 1, kind: "new" }, { index: 2, kind: "new" }, { index: 3, kind: "zero" }]);
    assert.deepEqual(result.readRanges, [range(64, 128)]);
  });

  it("changes nothing when every base is there", () => {
    assert.deepEqual(readChunksWhole({ builds: builds("p"), readRanges: [range(4, 4)], chunks: [], chunkSizeBytes: CHUNK, sizeBytes: CHUNK }), { builds: builds("p"), readRanges: [range(4, 4)] });
  });
});
