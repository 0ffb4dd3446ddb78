/**
 * Time is injected: nothing outside an adapter reads the wall clock directly, so schedules, retention,
 * timeouts and heartbeats are testable with a `ManualClock` and tests never sleep.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
