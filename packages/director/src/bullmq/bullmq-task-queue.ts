/**
 * `TaskQueue` on BullMQ. The BullMQ job id is the task id, which makes enqueueing idempotent; retries use
 * exponential back-off, and handlers mark errors that retrying cannot fix as unrecoverable.
 */
import { TASK_QUEUE_NAME, type Task, type TaskKind } from "@esxbackup/domain";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { TaskQueue } from "./task-queue.js";

export interface BullmqTaskQueueOptions {
  redisUrl: string;
  /** Deliveries before a task is given up (the first included). */
  attempts?: number;
  backoffDelayMs?: number;
}

export class BullmqTaskQueue implements TaskQueue {
  readonly #queue: Queue;
  readonly #connection: Redis;

  constructor(options: BullmqTaskQueueOptions) {
    this.#connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.#queue = new Queue(TASK_QUEUE_NAME, {
      connection: this.#connection,
      defaultJobOptions: {
        attempts: options.attempts ?? 3,
        backoff: { type: "exponential", delay: options.backoffDelayMs ?? 5_000 },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
  }

  async enqueue<K extends TaskKind>(task: Task<K>): Promise<void> {
    await this.#queue.add(task.kind, task, { jobId: task.taskId });
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#connection.disconnect();
  }
}
