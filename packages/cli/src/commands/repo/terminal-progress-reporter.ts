/**
 * The progress reporter port drawn for a person: each running task (a phase of one VM or disk) as one line
 * — phase, VM and disk, bytes done of the total, rate and time left (`TransferMeter`, on the injected
 * clock). On a terminal the lines of the running tasks are redrawn in place, at most every REDRAW_EVERY_MS,
 * and a task that stops leaves its last line above them. Anywhere else (a log file, a pipe) nothing is
 * redrawn: a task prints a plain line when it stops, and one every PLAIN_EVERY_MS while it runs, so a long
 * backup in a log still shows it is alive.
 */
import type { Writable } from "node:stream";
import type { Clock } from "@esxbackup/domain";
import type { ProgressReporter, ProgressTask, ProgressTaskStart } from "@esxbackup/transporter/backup";
import { TransferMeter, formatDuration } from "./transfer-meter.js";

const REDRAW_EVERY_MS = 200;
const PLAIN_EVERY_MS = 30_000;

/** ESC [ n F: cursor to the start of the line n lines up; ESC [ J: clear to the end of the screen. */
const up = (lines: number): string => (lines > 0 ? `\u001b[${lines}F` : "\r");
const CLEAR_BELOW = "\u001b[J";

interface RunningTask {
  meter: TransferMeter;
  /** Measured in bytes; a task without a total (taking a snapshot) shows its time so far instead. */
  measured: boolean;
  lastPlainMs: number;
}

export class TerminalProgressReporter implements ProgressReporter {
  readonly #stream: Writable;
  readonly #clock: Clock;
  readonly #interactive: boolean;
  readonly #running: RunningTask[] = [];
  /** Lines of running tasks on the screen now, below the finished ones. */
  #drawnLines = 0;
  #lastDrawMs = -Infinity;

  readonly #limitBytesPerSecond: number | undefined;
  readonly #hostReadLimitBytesPerSecond: number | undefined;

  /**
   * `limitBytesPerSecond`: the run's bandwidth limit, on the bytes of its backup (data read) tasks;
   * `hostReadLimitBytesPerSecond`: its limit on what the host reads (docs/adr/0035), on those and on its
   * fingerprint tasks (the host's hash pass).
   */
  constructor(stream: Writable, clock: Clock, options: { interactive: boolean; limitBytesPerSecond?: number; hostReadLimitBytesPerSecond?: number }) {
    this.#stream = stream;
    this.#clock = clock;
    this.#interactive = options.interactive;
    this.#limitBytesPerSecond = options.limitBytesPerSecond;
    this.#hostReadLimitBytesPerSecond = options.hostReadLimitBytesPerSecond;
  }

  start(start: ProgressTaskStart): ProgressTask {
    const label = [start.phase, start.vm, start.disk].filter((part) => part !== undefined && part !== "").join(" ");
    // Only a backup task counts bytes on the wire; a fingerprint task counts the disk the host hashed, which
    // the host read limit paces as it paces the reads (but not a previous point hashed from the repository).
    const hashedOnSource = start.phase === "fingerprint" && start.fromRepository !== true;
    const limits = start.phase === "backup" ? [this.#limitBytesPerSecond, this.#hostReadLimitBytesPerSecond] : hashedOnSource ? [this.#hostReadLimitBytesPerSecond] : [];
    const slowest = Math.min(...limits.filter((limit) => limit !== undefined));
    const limited = Number.isFinite(slowest) ? { limitBytesPerSecond: slowest } : {};
    const task: RunningTask = { meter: new TransferMeter(label, start.bytesTotal ?? 0, this.#clock, limited), measured: start.bytesTotal !== undefined, lastPlainMs: this.#nowMs() };
    this.#running.push(task);
    if (this.#interactive) this.#redraw();
    let stopped = false;
    return {
      update: (bytesDone) => {
        if (stopped) return;
        task.meter.update(bytesDone);
        const nowMs = this.#nowMs();
        if (this.#interactive) {
          if (nowMs - this.#lastDrawMs >= REDRAW_EVERY_MS) this.#redraw();
        } else if (nowMs - task.lastPlainMs >= PLAIN_EVERY_MS) {
          task.lastPlainMs = nowMs;
          this.#stream.write(`${this.#line(task)}\n`);
        }
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.#running.splice(this.#running.indexOf(task), 1);
        const last = this.#line(task, { finished: true });
        if (this.#interactive) this.#redraw(last);
        else this.#stream.write(`${last}\n`);
      },
    };
  }

  /**
   * Prints a message (a warning, a VM done) for good without tearing the running tasks' lines: on a terminal
   * it goes above them, which are drawn again below it.
   */
  note(message: string): void {
    if (this.#interactive) this.#redraw(message);
    else this.#stream.write(`${message}\n`);
  }

  /** Rewrites the block of running tasks in place, after printing `finished` above it for good. */
  #redraw(finished?: string): void {
    this.#lastDrawMs = this.#nowMs();
    const lines = [...(finished === undefined ? [] : [finished]), ...this.#running.map((task) => this.#line(task))];
    this.#stream.write(`${up(this.#drawnLines)}${lines.map((line) => `${line}\u001b[K\n`).join("")}${CLEAR_BELOW}`);
    this.#drawnLines = this.#running.length;
  }

  #line(task: RunningTask, options: { finished?: boolean } = {}): string {
    if (task.measured) return task.meter.line();
    const elapsed = formatDuration(task.meter.elapsedSeconds);
    // "took", not "done": a task stops whatever its outcome (ProgressTask.stop), and a clean-up whose
    // snapshot could not be removed must not read as done just above the error that says so.
    return options.finished === true ? `${task.meter.label} took ${elapsed}` : `${task.meter.label} … ${elapsed}`;
  }

  #nowMs(): number {
    return this.#clock.now().getTime();
  }
}
