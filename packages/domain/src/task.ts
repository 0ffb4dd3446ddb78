import type { TaskId } from "./ids.js";

/**
 * Tasks are what the director asks transporters to do. They travel through BullMQ, but BullMQ is delivery,
 * not state: a task's truth (its run, its result) is recorded by the director in PostgreSQL.
 *
 * Each kind maps to its payload and result; later capabilities add kinds (inventory, backup-vm, restore-vm,
 * verify, prune, gc). A handler must be idempotent: a task may be delivered again after a transporter dies.
 */
export interface TaskKinds {
  /** Checks the path director → queue → transporter end to end; the transporter echoes the message. */
  probe: { payload: { message: string }; result: { echoed: string; transporterId: string } };
}

export type TaskKind = keyof TaskKinds;
export type TaskPayload<K extends TaskKind> = TaskKinds[K]["payload"];
export type TaskResult<K extends TaskKind> = TaskKinds[K]["result"];

export interface Task<K extends TaskKind = TaskKind> {
  taskId: TaskId;
  kind: K;
  payload: TaskPayload<K>;
}

/** The BullMQ queue every transporter consumes. */
export const TASK_QUEUE_NAME = "esxbackup-tasks";
