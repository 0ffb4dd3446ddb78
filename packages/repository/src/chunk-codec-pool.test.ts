import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { decodingThreads } from "./chunk-codec-pool.js";

describe("decodingThreads", () => {
  for (const [cores, threads] of [
    [1, 0],
    [2, 2],
    [8, 8],
  ] as const) {
    it(`${cores} core(s): ${threads} worker thread(s)`, () => assert.equal(decodingThreads(cores), threads));
  }
});
