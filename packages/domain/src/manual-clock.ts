import type { Clock } from "./clock.js";

/** A clock that moves only when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(start: Date = new Date("2026-01-01T00:00:00Z")) {
    this.#nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  advance(byMs: number): void {
    if (!Number.isFinite(byMs) || byMs < 0) throw new RangeError(`cannot advance a clock by ${byMs} ms`);
    this.#nowMs += byMs;
  }
}
