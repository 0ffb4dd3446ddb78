import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ChunkCodecPool, compressionLevelFor, decodingThreads } from "./chunk-codec-pool.js";
import { SessionKeys } from "./session-keys.js";

describe("decodingThreads", () => {
  for (const [cores, threads] of [
    [1, 0],
    [2, 2],
    [8, 8],
  ] as const) {
    it(`${cores} core(s): ${threads} worker thread(s)`, () => assert.equal(decodingThreads(cores), threads));
  }
});

describe("compressionLevelFor", () => {
  const table: [string, Parameters<typeof compressionLevelFor>[0], number][] = [
    ["no floor: the repository's level, however far behind", { level: 4, jobsInFlight: 10, workers: 1 }, 4],
    ["a floor, a worker free: the repository's level", { level: 4, floor: 1, jobsInFlight: 0, workers: 1 }, 4],
    ["a floor, every worker busy (the run would wait): the floor", { level: 4, floor: 1, jobsInFlight: 1, workers: 1 }, 1],
    ["four workers, three jobs: keeping up", { level: 4, floor: 1, jobsInFlight: 3, workers: 4 }, 4],
    ["four workers, four jobs: behind", { level: 4, floor: 1, jobsInFlight: 4, workers: 4 }, 1],
    ["inline (no workers): the repository's level", { level: 4, floor: 1, jobsInFlight: 0, workers: 0 }, 4],
    ["a floor at or above the level changes nothing", { level: 1, floor: 3, jobsInFlight: 9, workers: 1 }, 1],
  ];
  for (const [name, input, expected] of table) it(name, () => assert.equal(compressionLevelFor(input), expected));
});

describe("ChunkCodecPool with a compression floor", () => {
  // Text that compresses differently at levels 19 and 1, sealed as runs of one chunk.
  const chunk = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i} of a log, value ${(i * 7919) % 1000}\n`).join("")).subarray(0, 64 * 1024);
  const sealAtOnce = async (pool: ChunkCodecPool, runs: number): Promise<number[]> => {
    // Submitted together: the later ones find the worker busy with the earlier ones.
    const sealed = await Promise.all(Array.from({ length: runs }, () => pool.sealRun(Buffer.from(chunk), chunk.byteLength, [0])));
    return sealed.map((run) => (run.envelopes[0] as Buffer).byteLength);
  };

  it("runs sealed while the worker is behind are compressed at the floor, the others at the repository's level", async () => {
    const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 1, compressionLevel: 19, compressionFloor: 1 });
    try {
      const [first, second, third] = await sealAtOnce(pool, 3);
      assert.equal(second, third, "the later two found the worker busy");
      assert.notEqual(second, first, "the first found it free: levels 19 and 1 compress this text to different sizes");
      const [alone] = await sealAtOnce(pool, 1);
      assert.equal(alone, first, "once the worker has caught up, the repository's level again");
    } finally {
      await pool.close();
    }
  });

  it("without a floor every run is compressed at the repository's level", async () => {
    const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 1, compressionLevel: 19 });
    try {
      const sizes = await sealAtOnce(pool, 4);
      assert.equal(new Set(sizes).size, 1, `sizes ${sizes.join(", ")}`);
    } finally {
      await pool.close();
    }
  });

  it("a floor outside 1-19 is refused", () => {
    assert.throws(() => new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 0, compressionFloor: 0 }), /compressionFloor must be a whole number from 1 to 19/);
  });
});
