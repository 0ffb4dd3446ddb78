/**
 * The bandwidth limit of a run (docs/adr/0032): every transfer the run makes over the wire asks
 * `take(bytes, signal)` first and starts when it resolves. One limiter is shared by every channel, disk
 * and VM of the run, so the limit is on their sum. Transfers are let through in the order they asked: a
 * large one is never overtaken for ever by small ones.
 *
 * The decision is `decideTransfer` (a token bucket); this adapter only waits, on the injected clock and
 * scheduler, so tests move time by hand. A waiting transfer ends at once when its signal aborts.
 *
 * Used by the backup before each data read is requested from the host (pacing the requests paces the
 * host's reads, and with them the bytes on the wire); a restore would call `take` before each write it
 * sends.
 */
import type { Clock, Scheduler } from "@esxbackup/domain";
import { RUN_BYTES } from "../backup/read-runs.js";
import { checkTokenBucketLimit, decideTransfer, fullTokenBucket } from "./token-bucket.js";
import type { TokenBucketLimit, TokenBucketState } from "./token-bucket.js";

/** The bucket holds one read of the largest kind the pipelines make: a run of chunks. */
export const DEFAULT_RATE_LIMIT_BURST_BYTES = RUN_BYTES;

export interface TransferRateLimiterOptions {
  bytesPerSecond: number;
  /** Default DEFAULT_RATE_LIMIT_BURST_BYTES. */
  burstBytes?: number;
  clock: Clock;
  scheduler: Scheduler;
  /** Told each time a transfer has to wait, and for how long the bucket says (logs, tests). */
  onWait?: (wait: { bytes: number; waitMs: number }) => void;
}

interface Waiter {
  bytes: number;
  signal: AbortSignal;
  resolve: () => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
}

export class TransferRateLimiter {
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
  readonly #limit: TokenBucketLimit;
  readonly #options: TransferRateLimiterOptions;
  #state: TokenBucketState;
  readonly #queue: Waiter[] = [];
  /** Cancels the timer armed for the queue's head. */
  #disarm: (() => void) | undefined;
  #waitingSinceMs: number | undefined;
  #waitedMs = 0;
  #waits = 0;

  constructor(options: TransferRateLimiterOptions) {
    this.#limit = { bytesPerSecond: options.bytesPerSecond, burstBytes: options.burstBytes ?? DEFAULT_RATE_LIMIT_BURST_BYTES };
    checkTokenBucketLimit(this.#limit);
    this.bytesPerSecond = this.#limit.bytesPerSecond;
    this.burstBytes = this.#limit.burstBytes;
    this.#options = options;
    this.#state = fullTokenBucket(this.#limit, options.clock.now().getTime());
  }

  /** How often transfers had to wait, and for how long in all (time some transfer was held back). */
  get held(): { waits: number; seconds: number } {
    const ongoing = this.#waitingSinceMs === undefined ? 0 : this.#nowMs() - this.#waitingSinceMs;
    return { waits: this.#waits, seconds: (this.#waitedMs + ongoing) / 1000 };
  }

  /** Resolves when `bytes` may be transferred; rejects with the signal's reason when it aborts first. */
  take(bytes: number, signal: AbortSignal): Promise<void> {
    if (!(Number.isInteger(bytes) && bytes >= 0)) return Promise.reject(new RangeError(`a transfer is a whole number of bytes >= 0 (got ${bytes})`));
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length === 0) {
      const decision = decideTransfer(this.#limit, this.#state, bytes, this.#nowMs());
      if (decision.kind === "go") {
        this.#state = decision.state;
        return Promise.resolve();
      }
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, signal, resolve, reject, onAbort: () => this.#abandon(waiter) };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#serveQueue();
    });
  }

  /** Lets the head of the queue go while the bucket allows, then arms a timer for the next head. */
  #serveQueue(): void {
    this.#disarm?.();
    this.#disarm = undefined;
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) {
        this.#stopWaiting();
        return;
      }
      // Aborted, its listener not called yet (several reads share the run's signal): it never goes.
      if (head.signal.aborted) {
        this.#queue.shift();
        head.signal.removeEventListener("abort", head.onAbort);
        head.reject(head.signal.reason);
        continue;
      }
      const nowMs = this.#nowMs();
      const decision = decideTransfer(this.#limit, this.#state, head.bytes, nowMs);
      if (decision.kind === "wait") {
        if (this.#waitingSinceMs === undefined) {
          this.#waitingSinceMs = nowMs;
          this.#waits += 1;
          this.#options.onWait?.({ bytes: head.bytes, waitMs: decision.waitMs });
        }
        // Asked again when the timer fires: a real timer may fire early or late, and the bucket is read at
        // the clock's time then.
        // Awaited by the transfer: a real timer keeps the process alive until it is let through.
        const stop = this.#options.scheduler.every(decision.waitMs, () => this.#serveQueue(), { awaited: true });
        this.#disarm = stop;
        return;
      }
      this.#state = decision.state;
      this.#queue.shift();
      this.#stopWaiting();
      head.signal.removeEventListener("abort", head.onAbort);
      head.resolve();
    }
  }

  #abandon(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    waiter.reject(waiter.signal.reason);
    // The head gave up: the next one may go now, or waits for its own time.
    if (index === 0) {
      this.#stopWaiting();
      this.#serveQueue();
    }
  }

  #stopWaiting(): void {
    if (this.#waitingSinceMs === undefined) return;
    this.#waitedMs += Math.max(0, this.#nowMs() - this.#waitingSinceMs);
    this.#waitingSinceMs = undefined;
  }

  #nowMs(): number {
    return this.#options.clock.now().getTime();
  }
}
