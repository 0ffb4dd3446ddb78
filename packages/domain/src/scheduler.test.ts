import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
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

/** Runs `body` (an ES module importing the domain as `domain`) in a process of its own: its exit status and output. */
function runAlone(body: string): { status: number | null; stdout: string } {
  const domain = new URL("./index.js", import.meta.url).href;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", `import * as domain from ${JSON.stringify(domain)};\n${body}`], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout };
}

test("timerScheduler: an awaited wait keeps the process alive to its end (else Node ends it with status 13); a refresh does not", () => {
  // Nothing else is pending, as when the host's connection has just been lost.
  const awaited = runAlone(`await domain.waitFor(domain.timerScheduler, 50); console.log("waited");`);
  assert.deepEqual(awaited, { status: 0, stdout: "waited\n" });
  // A refresh left running (every 10 minutes) does not hold the process: it ends at once.
  const refresh = runAlone(`domain.timerScheduler.every(600_000, () => undefined); console.log("ended");`);
  assert.deepEqual(refresh, { status: 0, stdout: "ended\n" });
});
