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
