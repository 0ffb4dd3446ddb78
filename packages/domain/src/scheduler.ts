/**
 * Repeating timers are injected like the clock: a lock refreshes itself "every minute" through a
 * `Scheduler`, so a test can make that minute pass with `ManualScheduler.fire()` instead of sleeping.
 */
export interface Scheduler {
  /** Calls `fn` every `ms` milliseconds until the returned function is called. */
  every(ms: number, fn: () => void, options?: SchedulerOptions): () => void;
}

export interface SchedulerOptions {
  /**
   * Someone awaits the timer (`waitFor`, a transfer held back by a rate limit): with real timers it keeps
   * the process alive. Otherwise (a lock's refresh) it does not.
   */
  awaited?: boolean;
}

/**
 * Real timers. A refresh does not keep the process alive: a command whose work is done ends without
 * waiting for it. An awaited wait does: were it the only thing left (the host's connection just lost, its
 * retries not yet started), Node would end the process mid-command with status 13 and no message.
 */
export const timerScheduler: Scheduler = {
  every(ms, fn, options = {}) {
    const handle = setInterval(fn, Math.max(1, ms));
    if (options.awaited !== true) handle.unref();
    return () => clearInterval(handle);
  },
};

/** A scheduler that fires only when told to: `fire()` runs every registered callback once. */
export class ManualScheduler implements Scheduler {
  readonly #callbacks = new Set<() => void>();

  every(_ms: number, fn: () => void): () => void {
    this.#callbacks.add(fn);
    return () => this.#callbacks.delete(fn);
  }

  /** How many callbacks are registered (a released lock has none). */
  get pending(): number {
    return this.#callbacks.size;
  }

  fire(): void {
    for (const fn of [...this.#callbacks]) fn();
  }
}

/**
 * Resolves once, `ms` after now, through `scheduler` (so a test moves the time with `fire()`), or rejects
 * with the signal's reason as soon as `signal` aborts: a wait that an interrupted run does not sit out.
 */
export function waitFor(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      stop();
      reject(signal?.reason);
    };
    const stop = scheduler.every(
      ms,
      () => {
        stop();
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      { awaited: true },
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
