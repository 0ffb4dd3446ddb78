import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ManualScheduler, waitFor } from "./scheduler.js";

test("waitFor: resolves when its time comes, once, and leaves nothing registered", async () => {
  const scheduler = new ManualScheduler();
  let done = 0;
  const waiting = waitFor(scheduler, 15_000).then(() => done++);
  assert.equal(scheduler.pending, 1);
  await Promise.resolve();
  assert.equal(done, 0, "not before its time");
  scheduler.fire();
  await waiting;
  assert.equal(done, 1);
  assert.equal(scheduler.pending, 0);
});

test("waitFor: an abort during the wait rejects at once with its reason and leaves nothing registered", async () => {
  const scheduler = new ManualScheduler();
  const abort = new AbortController();
  const waiting = waitFor(scheduler, 15_000, abort.signal);
  assert.equal(scheduler.pending, 1);
  abort.abort(new Error("interrupted"));
  await assert.rejects(waiting, /interrupted/u);
  assert.equal(scheduler.pending, 0);
});

test("waitFor: already aborted, it rejects without waiting", async () => {
  const scheduler = new ManualScheduler();
  await assert.rejects(waitFor(scheduler, 15_000, AbortSignal.abort(new Error("interrupted"))), /interrupted/u);
  assert.equal(scheduler.pending, 0);
});
