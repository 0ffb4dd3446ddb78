import type { Task, TaskKind } from "@esxbackup/domain";

/** The director's port for handing tasks to transporters. */
export interface TaskQueue {
  /** Idempotent per task id: enqueueing the same task id twice delivers it once. */
  enqueue<K extends TaskKind>(task: Task<K>): Promise<void>;
  close(): Promise<void>;
}
