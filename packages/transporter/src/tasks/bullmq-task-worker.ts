/**
 * Consumes tasks from BullMQ and runs the handler for their kind. This is the one place where handler
 * errors are translated for the queue: bad input (`InvalidInputError`) or an unknown kind is not retried;
 * anything else is, with the queue's back-off. A transporter that dies mid-task leaves the job stalled and
 * BullMQ hands it to another transporter, which is why handlers must be idempotent.
 */
import { InvalidInputError, TASK_QUEUE_NAME, type Task, type TaskKind, type TaskKinds, type TaskResult } from "@esxbackup/domain";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";

export type TaskHandlers = {
  [K in TaskKind]: (task: Task<K>, signal: AbortSignal) => Promise<TaskResult<K>>;
};

export interface BullmqTaskWorkerOptions {
  redisUrl: string;
  handlers: TaskHandlers;
  concurrency: number;
}

export interface RunningTaskWorker {
  /** Stops taking tasks and waits for the running ones to finish. */
  close(): Promise<void>;
}

function isTaskKind(kind: string, handlers: TaskHandlers): kind is TaskKind {
  return Object.hasOwn(handlers, kind);
}

export async function startBullmqTaskWorker(options: BullmqTaskWorkerOptions): Promise<RunningTaskWorker> {
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(
    TASK_QUEUE_NAME,
    async (job: Job<Task>, _token, signal) => {
      const task = job.data;
      if (!isTaskKind(task.kind, options.handlers)) {
        throw new UnrecoverableError(`unknown task kind ${JSON.stringify(task.kind)}`);
      }
      const handler = options.handlers[task.kind] as (task: Task, signal: AbortSignal) => Promise<TaskKinds[TaskKind]["result"]>;
      try {
        return await handler(task, signal ?? new AbortController().signal);
      } catch (error) {
        if (error instanceof InvalidInputError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    { connection, concurrency: options.concurrency, autorun: false },
  );
  void worker.run();
  await worker.waitUntilReady();
  return {
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}
