/**
 * Repeating timers are injected like the clock: a lock refreshes itself "every minute" through a
 * `Scheduler`, so a test can make that minute pass with `ManualScheduler.fire()` instead of sleeping.
 */
export interface Scheduler {
  /** Calls `fn` every `ms` milliseconds until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

/** Real timers; they do not keep the process alive. */
export const timerScheduler: Scheduler = {
  every(ms, fn) {
    const handle = setInterval(fn, Math.max(1, ms));
    handle.unref();
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
    const stop = scheduler.every(ms, () => {
      stop();
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
