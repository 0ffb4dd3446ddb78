import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { ManualClock, ManualScheduler } from "@esxbackup/domain";
import { TransferRateLimiter } from "./transfer-rate-limiter.js";

const MIB = 1024 * 1024;

/** Which of `promises` have settled, after the microtasks queued so far have run. */
async function settled(promises: Promise<unknown>[]): Promise<boolean[]> {
  const state = promises.map(() => false);
  promises.forEach((p, i) => p.then(() => (state[i] = true), () => (state[i] = true)));
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

function limiterAt(bytesPerSecond: number, burstBytes: number) {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler();
  const waits: { bytes: number; waitMs: number }[] = [];
  const limiter = new TransferRateLimiter({ bytesPerSecond, burstBytes, clock, scheduler, onWait: (wait) => waits.push(wait) });
  return { clock, scheduler, waits, limiter };
}

test("reads are spaced as the bucket computes: each goes when the clock reaches its time, not before", async () => {
  const { clock, scheduler, waits, limiter } = limiterAt(MIB, 4 * MIB);
  const signal = new AbortController().signal;
  // A full bucket lets the first read through at once; the next ones wait their turn, in order.
  const reads = [limiter.take(4 * MIB, signal), limiter.take(2 * MIB, signal), limiter.take(MIB, signal)];
  assert.deepEqual(await settled(reads), [true, false, false]);
  assert.deepEqual(waits, [{ bytes: 2 * MIB, waitMs: 2000 }]);
  assert.equal(scheduler.pending, 1, "one timer, for the head of the queue");

  clock.advance(1999);
  scheduler.fire();
  assert.deepEqual(await settled(reads), [true, false, false], "a millisecond early: still waiting");
  clock.advance(1);
  scheduler.fire();
  assert.deepEqual(await settled(reads), [true, true, false], "the second goes at 2 s");
  assert.deepEqual(waits.at(-1), { bytes: MIB, waitMs: 1000 });

  clock.advance(1000);
  scheduler.fire();
  assert.deepEqual(await settled(reads), [true, true, true], "the third at 3 s");
  assert.equal(scheduler.pending, 0, "no timer left");
  assert.deepEqual(limiter.held, { waits: 2, seconds: 3 });
});

test("a timer that fires early or late is answered from the clock: the read goes only when the bucket allows", async () => {
  const { clock, scheduler, limiter } = limiterAt(MIB, MIB);
  const signal = new AbortController().signal;
  await limiter.take(MIB, signal);
  const read = limiter.take(MIB, signal);
  scheduler.fire(); // early: the clock has not moved
  assert.deepEqual(await settled([read]), [false]);
  assert.equal(scheduler.pending, 1, "armed again");
  clock.advance(5000); // late: the bucket has more than enough
  scheduler.fire();
  assert.deepEqual(await settled([read]), [true]);
});

test("later small reads do not overtake a waiting large one", async () => {
  const { clock, scheduler, limiter } = limiterAt(MIB, 4 * MIB);
  const signal = new AbortController().signal;
  await limiter.take(3 * MIB, signal); // 1 MiB left in the bucket
  const large = limiter.take(4 * MIB, signal);
  const small = limiter.take(4096, signal); // would fit in the bucket, but queues behind
  assert.deepEqual(await settled([large, small]), [false, false]);
  clock.advance(3000);
  scheduler.fire();
  assert.deepEqual(await settled([large, small]), [true, false], "the large one first; then the bucket is empty");
});

test("an abort ends a waiting read at once with the abort's reason; the reads behind it move up", async () => {
  const { clock, scheduler, limiter } = limiterAt(MIB, MIB);
  const run = new AbortController();
  const other = new AbortController();
  await limiter.take(MIB, run.signal);
  const waiting = limiter.take(MIB, run.signal);
  const behind = limiter.take(MIB, other.signal);
  const reason = new Error("interrupted");
  run.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.deepEqual(await settled([behind]), [false], "the next one still waits for its bytes");
  clock.advance(1000);
  scheduler.fire();
  assert.deepEqual(await settled([behind]), [true]);
  await assert.rejects(limiter.take(1, run.signal), (error) => error === reason, "an aborted signal does not queue");
  assert.equal(scheduler.pending, 0);
});

test("an abort of the run ends every read waiting on it, none let through as the head leaves", async () => {
  const { limiter } = limiterAt(MIB, 4 * MIB);
  const run = new AbortController();
  await limiter.take(3 * MIB, run.signal); // 1 MiB left: a 64 KiB read behind a waiting 4 MiB one would fit
  const large = limiter.take(4 * MIB, run.signal);
  const small = limiter.take(65536, run.signal);
  run.abort(new Error("interrupted"));
  const outcomes = await Promise.allSettled([large, small]);
  assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "rejected"]);
});

test("reads of several channels and VMs share one limit: their sum is paced", async () => {
  const { clock, scheduler, limiter } = limiterAt(MIB, MIB);
  const signal = new AbortController().signal;
  const reads = Array.from({ length: 8 }, () => limiter.take(MIB / 2, signal));
  let elapsedMs = 0;
  while ((await settled(reads)).includes(false)) {
    clock.advance(100);
    elapsedMs += 100;
    scheduler.fire();
  }
  // 4 MiB: 1 MiB from the full bucket, 3 MiB at 1 MiB/s.
  assert.equal(elapsedMs, 3000);
});

test("bad sizes and limits are refused", async () => {
  const { limiter } = limiterAt(MIB, MIB);
  await assert.rejects(limiter.take(-1, new AbortController().signal), /whole number of bytes/u);
  assert.throws(() => new TransferRateLimiter({ bytesPerSecond: 0, clock: new ManualClock(), scheduler: new ManualScheduler() }), /positive number of bytes per second/u);
});

test("with real timers, a read held back by the limit keeps the process alive until it goes (nothing else pending, as after a lost connection)", () => {
  const domain = import.meta.resolve("@esxbackup/domain");
  const limiterModule = new URL("./transfer-rate-limiter.js", import.meta.url).href;
  const body = [
    `import { systemClock, timerScheduler } from ${JSON.stringify(domain)};`,
    `import { TransferRateLimiter } from ${JSON.stringify(limiterModule)};`,
    "const limiter = new TransferRateLimiter({ bytesPerSecond: 1024 * 1024, burstBytes: 64 * 1024, clock: systemClock, scheduler: timerScheduler });",
    "await limiter.take(64 * 1024, new AbortController().signal);",
    // The bucket is empty: this one waits about 60 ms for its bytes.
    "await limiter.take(64 * 1024, new AbortController().signal);",
    'console.log("went");',
  ].join("\n");
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", body], { encoding: "utf8", timeout: 30_000 });
  assert.deepEqual({ status: result.status, stdout: result.stdout }, { status: 0, stdout: "went\n" }, result.stderr);
});
