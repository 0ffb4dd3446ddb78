/**
 * A task goes director → BullMQ on the real Redis → transporter worker and back, through our adapters.
 */
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { BullmqTaskQueue } from "@esxbackup/director";
import { InvalidInputError, parseTaskId, TASK_QUEUE_NAME, type Task } from "@esxbackup/domain";
import { startBullmqTaskWorker, type RunningTaskWorker } from "@esxbackup/transporter/agent";
import { QueueEvents } from "bullmq";
import { requireEnv } from "../harness/require-env.js";

describe("task queue on BullMQ (real Redis)", () => {
  const redisUrl = requireEnv("REDIS_URL");
  let queue: BullmqTaskQueue;
  let worker: RunningTaskWorker;
  let events: QueueEvents;
  const handled: Task<"probe">[] = [];

  before(async () => {
    const url = new URL(redisUrl);
    events = new QueueEvents(TASK_QUEUE_NAME, { connection: { host: url.hostname, port: Number(url.port) } });
    await events.waitUntilReady();
    queue = new BullmqTaskQueue({ redisUrl, attempts: 3, backoffDelayMs: 10 });
    worker = await startBullmqTaskWorker({
      redisUrl,
      concurrency: 2,
      handlers: {
        probe: async (task) => {
          handled.push(task);
          if (task.payload.message === "bad") throw new InvalidInputError("probe message", "must not be 'bad'");
          return { echoed: task.payload.message.toUpperCase(), transporterId: "test-transporter" };
        },
      },
    });
  });

  after(async () => {
    await worker.close();
    await queue.close();
    await events.close();
  });

  it("delivers a task to the worker and returns its result", async () => {
    const taskId = parseTaskId(`probe-${randomUUID()}`);
    const completed = new Promise<string>((resolve) => {
      events.on("completed", ({ jobId, returnvalue }) => {
        if (jobId === taskId) resolve(JSON.stringify(returnvalue));
      });
    });
    await queue.enqueue({ taskId, kind: "probe", payload: { message: "hello [vm] $x" } });
    const result = JSON.parse(await completed) as { echoed: string; transporterId: string };
    assert.deepEqual(result, { echoed: "HELLO [VM] $X", transporterId: "test-transporter" });
  });

  it("enqueues a task id once even when asked twice", async () => {
    const taskId = parseTaskId(`probe-${randomUUID()}`);
    const completed = new Promise<void>((resolve) => {
      events.on("completed", ({ jobId }) => {
        if (jobId === taskId) resolve();
      });
    });
    await queue.enqueue({ taskId, kind: "probe", payload: { message: "once" } });
    await queue.enqueue({ taskId, kind: "probe", payload: { message: "once" } });
    await completed;
    assert.equal(handled.filter((task) => task.taskId === taskId).length, 1);
  });

  it("does not retry a task whose input is invalid", async () => {
    const taskId = parseTaskId(`probe-${randomUUID()}`);
    const failed = new Promise<string>((resolve) => {
      events.on("failed", ({ jobId, failedReason }) => {
        if (jobId === taskId) resolve(failedReason);
      });
    });
    await queue.enqueue({ taskId, kind: "probe", payload: { message: "bad" } });
    assert.equal(await failed, "probe message: must not be 'bad'");
    assert.equal(handled.filter((task) => task.taskId === taskId).length, 1, "attempted once although 3 attempts are allowed");
  });
});
