import { strict as assert } from "node:assert";
import { test } from "node:test";
import { checkTokenBucketLimit, decideTransfer, fullTokenBucket, tokenBucketAt } from "./token-bucket.js";
import type { TokenBucketDecision, TokenBucketLimit, TokenBucketState } from "./token-bucket.js";

const MIB = 1024 * 1024;
/** 1 MiB/s with a 4 MiB bucket: 1 ms fills 1048.576 bytes. */
const limit: TokenBucketLimit = { bytesPerSecond: MIB, burstBytes: 4 * MIB };

test("decisions of the token bucket", () => {
  const cases: { name: string; limit?: TokenBucketLimit; state: TokenBucketState; bytes: number; nowMs: number; expected: TokenBucketDecision }[] = [
    { name: "a full bucket lets a read of its size go", state: { tokens: 4 * MIB, atMs: 0 }, bytes: 4 * MIB, nowMs: 0, expected: { kind: "go", state: { tokens: 0, atMs: 0 } } },
    { name: "a small read takes only its bytes", state: { tokens: 4 * MIB, atMs: 0 }, bytes: 65536, nowMs: 0, expected: { kind: "go", state: { tokens: 4 * MIB - 65536, atMs: 0 } } },
    { name: "an empty bucket: a read waits for its bytes at the rate", state: { tokens: 0, atMs: 0 }, bytes: MIB, nowMs: 0, expected: { kind: "wait", waitMs: 1000 } },
    { name: "a bucket in debt: the debt is paid back first", state: { tokens: -MIB, atMs: 0 }, bytes: MIB, nowMs: 0, expected: { kind: "wait", waitMs: 2000 } },
    { name: "time passed fills the bucket", state: { tokens: 0, atMs: 0 }, bytes: MIB, nowMs: 1000, expected: { kind: "go", state: { tokens: 0, atMs: 1000 } } },
    { name: "half the time: half the wait left", state: { tokens: 0, atMs: 0 }, bytes: MIB, nowMs: 500, expected: { kind: "wait", waitMs: 500 } },
    { name: "a long pause fills it no further than the burst", state: { tokens: 0, atMs: 0 }, bytes: 6 * MIB, nowMs: 3_600_000, expected: { kind: "go", state: { tokens: -2 * MIB, atMs: 3_600_000 } } },
    { name: "a read larger than the bucket waits for a full bucket, not for all its bytes", state: { tokens: 0, atMs: 0 }, bytes: 10 * MIB, nowMs: 0, expected: { kind: "wait", waitMs: 4000 } },
    { name: "a read larger than the bucket goes on a full one and leaves the bucket in debt", state: { tokens: 4 * MIB, atMs: 0 }, bytes: 10 * MIB, nowMs: 0, expected: { kind: "go", state: { tokens: -6 * MIB, atMs: 0 } } },
    { name: "waits are whole milliseconds, rounded up", state: { tokens: 0, atMs: 0 }, bytes: 1, nowMs: 0, expected: { kind: "wait", waitMs: 1 } },
    { name: "a slower rate waits longer", limit: { bytesPerSecond: 100 * 1024, burstBytes: 4 * MIB }, state: { tokens: 0, atMs: 0 }, bytes: MIB, nowMs: 0, expected: { kind: "wait", waitMs: 10_240 } },
    { name: "a nothing-sized transfer never waits", state: { tokens: -MIB, atMs: 0 }, bytes: 0, nowMs: 0, expected: { kind: "go", state: { tokens: -MIB, atMs: 0 } } },
    { name: "a clock set back gives no bytes and does not stall either", state: { tokens: 0, atMs: 10_000 }, bytes: MIB, nowMs: 4_000, expected: { kind: "wait", waitMs: 1000 } },
  ];
  for (const c of cases) assert.deepEqual(decideTransfer(c.limit ?? limit, c.state, c.bytes, c.nowMs), c.expected, c.name);
});

test("the clock going forward after a wait: the read it waited for goes, exactly at the wait's end", () => {
  for (const bytes of [1, 4096, 65536, 1_000_003, 4 * MIB, 9 * MIB]) {
    for (const bytesPerSecond of [1000, 65536, 800 * 1024, 50 * MIB]) {
      const l = { bytesPerSecond, burstBytes: 4 * MIB };
      const state = { tokens: -123_457, atMs: 5_000 };
      const first = decideTransfer(l, state, bytes, 5_000);
      assert.equal(first.kind, "wait");
      const waitMs = (first as { waitMs: number }).waitMs;
      assert.equal(decideTransfer(l, state, bytes, 5_000 + waitMs - 1).kind, "wait", `${bytes} B at ${bytesPerSecond} B/s: not a millisecond early`);
      assert.equal(decideTransfer(l, state, bytes, 5_000 + waitMs).kind, "go", `${bytes} B at ${bytesPerSecond} B/s: goes after ${waitMs} ms`);
    }
  }
});

test("over any window, the bytes let through are at most the rate times the window plus one read", () => {
  // Reads of mixed sizes asked for back to back, each started as soon as the bucket allows.
  const l = { bytesPerSecond: 3 * MIB, burstBytes: 4 * MIB };
  const sizes = [65536, 4 * MIB, 4096, 4 * MIB, 6 * MIB, 65536, 65536, 4 * MIB, 1 * MIB, 12345 * 4096, 4 * MIB, 65536];
  let state = fullTokenBucket(l, 0);
  let nowMs = 0;
  const starts: { atMs: number; bytes: number }[] = [];
  for (let i = 0; i < 60; i++) {
    const bytes = sizes[i % sizes.length] as number;
    for (;;) {
      const decision = decideTransfer(l, state, bytes, nowMs);
      if (decision.kind === "go") {
        state = decision.state;
        starts.push({ atMs: nowMs, bytes });
        break;
      }
      nowMs += decision.waitMs;
    }
    if (i % 7 === 6) nowMs += 2500; // now and then a pause, which fills the bucket again
  }
  const largest = Math.max(l.burstBytes, ...sizes);
  for (const from of starts) {
    for (const windowMs of [1000, 1500, 4000, 30_000]) {
      const inWindow = starts.filter((s) => s.atMs >= from.atMs && s.atMs < from.atMs + windowMs).reduce((sum, s) => sum + s.bytes, 0);
      assert.ok(inWindow <= (l.bytesPerSecond * windowMs) / 1000 + largest, `${inWindow} bytes started in ${windowMs} ms from ${from.atMs} ms`);
    }
  }
  // And the limit is used, not only respected: over the whole run the average is close to the rate.
  const total = starts.reduce((sum, s) => sum + s.bytes, 0);
  const lastMs = (starts.at(-1) as { atMs: number }).atMs;
  const pausesMs = Math.floor(60 / 7) * 2500;
  assert.ok(total - largest <= (l.bytesPerSecond * lastMs) / 1000, "never above");
  // (each wait is rounded up to a whole millisecond)
  assert.ok(((lastMs - pausesMs - starts.length) * l.bytesPerSecond) / 1000 <= total, "paced, not stalled");
});

test("the bucket's fill: by the rate, capped at the burst, never from a clock set back", () => {
  assert.deepEqual(tokenBucketAt(limit, { tokens: 0, atMs: 0 }, 250), { tokens: MIB / 4, atMs: 250 });
  assert.deepEqual(tokenBucketAt(limit, { tokens: 3 * MIB, atMs: 0 }, 2000), { tokens: 4 * MIB, atMs: 2000 });
  assert.deepEqual(tokenBucketAt(limit, { tokens: 5, atMs: 1000 }, 0), { tokens: 5, atMs: 0 });
  assert.deepEqual(fullTokenBucket(limit, 42), { tokens: 4 * MIB, atMs: 42 });
});

test("bad limits and sizes are refused", () => {
  for (const bad of [{ bytesPerSecond: 0, burstBytes: 1 }, { bytesPerSecond: -5, burstBytes: 1 }, { bytesPerSecond: Number.NaN, burstBytes: 1 }, { bytesPerSecond: Infinity, burstBytes: 1 }]) {
    assert.throws(() => checkTokenBucketLimit(bad), /positive number of bytes per second/u, JSON.stringify(bad));
  }
  assert.throws(() => checkTokenBucketLimit({ bytesPerSecond: 1, burstBytes: 0 }), /burst must be a positive/u);
  assert.throws(() => decideTransfer(limit, { tokens: 0, atMs: 0 }, -1, 0), /whole number of bytes/u);
  assert.throws(() => decideTransfer(limit, { tokens: 0, atMs: 0 }, 1.5, 0), /whole number of bytes/u);
});
