import { Transform } from "node:stream";
import type { TransformCallback } from "node:stream";

/**
 * Passes bytes through no faster than `bytesPerSecond`, in slices of at most 16 KiB, so a test can watch
 * a slow transfer (timeouts, progress, cancellation). Measured against the monotonic clock from the first
 * byte; downstream backpressure still applies.
 */
export class ThrottleStream extends Transform {
  readonly #bytesPerSecond: number;
  #startedAtMs: number | undefined;
  #passedBytes = 0;

  constructor(bytesPerSecond: number) {
    super();
    if (!(bytesPerSecond > 0)) throw new RangeError(`throttle rate must be positive (got ${bytesPerSecond})`);
    this.#bytesPerSecond = bytesPerSecond;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#startedAtMs ??= performance.now();
    const slices: Buffer[] = [];
    for (let offset = 0; offset < chunk.length; offset += 16384) slices.push(chunk.subarray(offset, offset + 16384));
    const next = (): void => {
      const slice = slices.shift();
      if (slice === undefined) {
        callback();
        return;
      }
      this.#passedBytes += slice.length;
      const dueMs = (this.#startedAtMs as number) + (this.#passedBytes / this.#bytesPerSecond) * 1000;
      const waitMs = dueMs - performance.now();
      this.push(slice);
      if (waitMs > 0) setTimeout(next, waitMs);
      else next();
    };
    next();
  }
}
