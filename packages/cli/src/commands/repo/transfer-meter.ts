/**
 * How far a transfer (a backup's reads, a restore's writes, a fingerprint pass) has come, in bytes: done,
 * total, rate since the start and the time left at that rate (or at the bandwidth limit, if slower), drawn as one line that rewrites itself on a
 * terminal. The clock is injected, so what it says is testable without waiting.
 */
import type { Writable } from "node:stream";
import { systemClock } from "@esxbackup/domain";
import type { Clock } from "@esxbackup/domain";
import { formatBytes } from "./open-repository.js";

export interface TransferSnapshot {
  bytesDone: number;
  bytesTotal: number;
  /** Average since the start; 0 until time has passed. */
  throughputBytesPerSecond: number;
  /** At the average rate; undefined until there is a rate. */
  etaSeconds: number | undefined;
}

/** At most this often a line is redrawn: a terminal does not need more, and each draw costs a write. */
const REDRAW_EVERY_MS = 200;

export class TransferMeter {
  readonly label: string;
  readonly bytesTotal: number;
  readonly #clock: Clock;
  readonly #startedMs: number;
  /** A bandwidth limit on these bytes: the time left is never counted at more than it. */
  readonly #limitBytesPerSecond: number | undefined;
  #bytesDone = 0;

  constructor(label: string, bytesTotal: number, clock: Clock, options: { limitBytesPerSecond?: number } = {}) {
    this.label = label;
    this.bytesTotal = bytesTotal;
    this.#clock = clock;
    this.#startedMs = clock.now().getTime();
    this.#limitBytesPerSecond = options.limitBytesPerSecond;
  }

  update(bytesDone: number): void {
    this.#bytesDone = bytesDone;
  }

  get elapsedSeconds(): number {
    return (this.#clock.now().getTime() - this.#startedMs) / 1000;
  }

  snapshot(): TransferSnapshot {
    const seconds = this.elapsedSeconds;
    const throughputBytesPerSecond = seconds > 0 ? this.#bytesDone / seconds : 0;
    const left = Math.max(0, this.bytesTotal - this.#bytesDone);
    // A limited transfer starts with a burst faster than its limit (docs/adr/0032): the rest goes no faster.
    const expectedBytesPerSecond = Math.min(throughputBytesPerSecond, this.#limitBytesPerSecond ?? Infinity);
    const etaSeconds = expectedBytesPerSecond > 0 ? left / expectedBytesPerSecond : left === 0 ? 0 : undefined;
    return { bytesDone: this.#bytesDone, bytesTotal: this.bytesTotal, throughputBytesPerSecond, etaSeconds };
  }

  /** E.g. `backup 50.0 MiB / 200.0 MiB (25 %), 10.0 MiB/s, ETA 0:15`. */
  line(): string {
    const { bytesDone, bytesTotal, throughputBytesPerSecond, etaSeconds } = this.snapshot();
    const percent = bytesTotal === 0 ? 100 : Math.floor((100 * bytesDone) / bytesTotal);
    const rate = throughputBytesPerSecond > 0 ? `${formatRate(throughputBytesPerSecond)}` : "- B/s";
    return `${this.label} ${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)} (${percent} %), ${rate}, ETA ${etaSeconds === undefined ? "-" : formatDuration(etaSeconds)}`;
  }
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `0:07`, `12:34`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const total = Math.ceil(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

export interface Progress {
  update(bytesDone: number): void;
  stop(): void;
}

/** Draws `meter` on `stream` (a terminal), at most every REDRAW_EVERY_MS, and once more when stopped. */
export function drawProgress(meter: TransferMeter, stream: Writable, clock: Clock): Progress {
  let lastMs = -Infinity;
  const draw = (): void => void stream.write(`\r${meter.line()}\u001b[K`);
  return {
    update(bytesDone) {
      meter.update(bytesDone);
      const nowMs = clock.now().getTime();
      if (nowMs - lastMs < REDRAW_EVERY_MS) return;
      lastMs = nowMs;
      draw();
    },
    stop() {
      draw();
      stream.write("\n");
    },
  };
}

/** A meter for a transfer of `bytesTotal`, drawn on stderr when it is a terminal. */
export function startTransfer(
  context: { interactive: boolean; stderr: Writable; clock?: Clock },
  label: string,
  bytesTotal: number,
): { meter: TransferMeter; progress: Progress } {
  const clock = context.clock ?? systemClock;
  const meter = new TransferMeter(label, bytesTotal, clock);
  const progress = context.interactive && bytesTotal > 0 ? drawProgress(meter, context.stderr, clock) : { update: (done: number) => meter.update(done), stop: () => undefined };
  return { meter, progress };
}
