import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { BUSY_CORES_SHARE, ChunkCodecPool, compressionLevelFor, decodingThreads } from "./chunk-codec-pool.js";
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
    ["a worker free, the cores mostly idle: the repository's level", { level: 4, floor: 1, jobsInFlight: 0, workers: 1, coresBusy: 0.5 }, 4],
    ["a worker free, but the cores taken (sharing them with the main thread): the floor", { level: 4, floor: 1, jobsInFlight: 0, workers: 1, coresBusy: 0.8 }, 1],
    ["just under the busy share: the repository's level", { level: 4, floor: 1, jobsInFlight: 0, workers: 1, coresBusy: BUSY_CORES_SHARE - 0.01 }, 4],
    ["at the busy share: the floor", { level: 4, floor: 1, jobsInFlight: 0, workers: 1, coresBusy: BUSY_CORES_SHARE }, 1],
    ["inline, the cores taken: the floor", { level: 4, floor: 1, jobsInFlight: 0, workers: 0, coresBusy: 1 }, 1],
    ["no floor, the cores taken: the repository's level", { level: 4, jobsInFlight: 0, workers: 1, coresBusy: 1 }, 4],
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
    // The cores idle, whatever this test process does meanwhile: only the queue decides here.
    const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 1, compressionLevel: 19, compressionFloor: 1, cpuUse: () => 0 });
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

  it("runs sealed while the cores are taken are compressed at the floor even with the worker free", async () => {
    let coresBusy = 0;
    const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 1, compressionLevel: 19, compressionFloor: 1, cpuUse: () => coresBusy });
    try {
      const [idle] = await sealAtOnce(pool, 1);
      coresBusy = 1;
      const [taken] = await sealAtOnce(pool, 1);
      assert.notEqual(taken, idle, "sealed one at a time, so only the cores' use differs: levels 19 and 1 compress this text to different sizes");
      coresBusy = 0.2;
      const [again] = await sealAtOnce(pool, 1);
      assert.equal(again, idle, "the cores free again: the repository's level");
    } finally {
      await pool.close();
    }
  });

  it("inline (no workers), the cores taken: the floor too", async () => {
    const sizes: number[] = [];
    for (const coresBusy of [0, 1]) {
      const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 0, compressionLevel: 19, compressionFloor: 1, cpuUse: () => coresBusy });
      try {
        sizes.push(...(await sealAtOnce(pool, 1)));
      } finally {
        await pool.close();
      }
    }
    assert.notEqual(sizes[1], sizes[0]);
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

describe("ChunkCodecPool.digestRun hands the run back", () => {
  const chunkBytes = 64 * 1024;
  const run = (): Buffer => Buffer.from(Array.from({ length: 2 * chunkBytes }, (_, i) => (i * 31) % 251));

  it("a view of shared memory as the caller's own view: read in place, nothing new made for it", async () => {
    const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 1 });
    try {
      const shared = new SharedArrayBuffer(3 * chunkBytes);
      const view = Buffer.from(shared, chunkBytes, 2 * chunkBytes);
      view.set(run());
      const hashed = await pool.digestRun(view, chunkBytes);
      assert.equal(hashed.plain.buffer, shared);
      assert.deepEqual([hashed.plain.byteOffset, hashed.plain.byteLength], [chunkBytes, 2 * chunkBytes]);
      assert.deepEqual(hashed.digests, (await pool.digestRun(run(), chunkBytes)).digests);
    } finally {
      await pool.close();
    }
  });

  it("a part of a larger buffer (copied to the worker) as the caller's own view, a whole buffer (transferred) with its bytes", async () => {
    const pool = new ChunkCodecPool(undefined, new SessionKeys(2, undefined), { threads: 1 });
    try {
      const larger = Buffer.concat([Buffer.alloc(100), run()]);
      const part = larger.subarray(100);
      const fromPart = await pool.digestRun(part, chunkBytes);
      assert.equal(fromPart.plain.buffer, larger.buffer);
      assert.equal(fromPart.plain.byteOffset, part.byteOffset);
      const whole = new Uint8Array(run());
      const fromWhole = await pool.digestRun(whole, chunkBytes);
      assert.equal(whole.byteLength, 0, "transferred away");
      assert.ok(fromWhole.plain.equals(run()));
      assert.deepEqual(fromWhole.digests, fromPart.digests);
    } finally {
      await pool.close();
    }
  });
});
