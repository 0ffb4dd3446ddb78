/**
 * The guest of a powered-on VM, reduced to what matters for backup: it keeps writing blocks into the VM's
 * current write target (the base extent without a snapshot, the newest delta with one). Blocks are chosen
 * in the hot set with a seeded generator; bytes outside the hot set are never written, so zero regions stay
 * zero. Driven by a `WorkloadScheduler` (real timers by default) and testable without sleeping: `writeNow(n)`
 * makes n writes at once, `waitForWrites(n)` resolves when the total reaches n.
 *
 * Each write goes through the host's operation queue, so a snapshot always falls between two writes.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Scheduler } from "@esxbackup/domain";
import type { ByteRange, WorkloadConfig } from "../config/simulator-config.js";

/** The timers a workload runs on: the shared injected scheduler (real timers by default). */
export type WorkloadScheduler = Scheduler;
export { ManualScheduler, timerScheduler } from "@esxbackup/domain";

export interface WorkloadDisk {
  slot: string;
  hotSet: ByteRange[];
}

/** One successful workload write, in the order writes reached the disk. */
export interface WorkloadWrite {
  /** 1 for the VM's first successful write since the model was opened. */
  sequence: number;
  slot: string;
  offsetBytes: number;
  data: Buffer;
}

/** Writes one block; resolves false when the write could not be made (e.g. out of space, VM not running). */
export type BlockWriter = (slot: string, offsetBytes: number, data: Buffer) => Promise<boolean>;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Workload {
  readonly vmid: number;
  readonly config: WorkloadConfig;
  #writes = 0;
  #failedWrites = 0;
  #lastError: string | undefined;
  #cancel: (() => void) | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #busy = false;
  readonly #events = new EventEmitter();
  readonly #random: () => number;
  readonly #disks: WorkloadDisk[];
  readonly #writer: BlockWriter;
  readonly #scheduler: WorkloadScheduler;

  constructor(vmid: number, config: WorkloadConfig, disks: WorkloadDisk[], writer: BlockWriter, scheduler: WorkloadScheduler) {
    this.vmid = vmid;
    this.config = config;
    this.#disks = disks.filter((d) => d.hotSet.some((r) => r.lengthBytes >= config.writeSizeBytes));
    this.#writer = writer;
    this.#scheduler = scheduler;
    this.#random = mulberry32(config.seed);
    this.#events.setMaxListeners(0);
  }

  /** Successful writes so far. */
  get writes(): number {
    return this.#writes;
  }

  get failedWrites(): number {
    return this.#failedWrites;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  get running(): boolean {
    return this.#cancel !== undefined;
  }

  start(): void {
    if (this.#cancel !== undefined || this.config.writesPerSecond <= 0 || this.#disks.length === 0) return;
    this.#cancel = this.#scheduler.every(1000 / this.config.writesPerSecond, () => {
      if (this.#busy) return;
      void this.tick();
    });
  }

  async stop(): Promise<void> {
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#inFlight;
  }

  /** One write. */
  async tick(): Promise<void> {
    await this.writeNow(1);
  }

  /** `n` writes, one after the other. */
  async writeNow(n: number): Promise<void> {
    const run = this.#inFlight.then(async () => {
      this.#busy = true;
      try {
        for (let i = 0; i < n; i++) await this.#writeOne();
      } finally {
        this.#busy = false;
      }
    });
    this.#inFlight = run.catch(() => undefined);
    await run;
  }

  /**
   * Calls `listener` after each successful write, in the order the writes reached the disk (writes are
   * serialized), synchronously once `writes` counts it. Returns the unsubscribe function. The buffer must
   * not be modified.
   */
  onWrite(listener: (write: WorkloadWrite) => void): () => void {
    this.#events.on("write", listener);
    return () => this.#events.off("write", listener);
  }

  /** Resolves once `total` successful writes have been made (at once if already). */
  async waitForWrites(total: number): Promise<void> {
    if (this.#writes >= total) return;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.#writes >= total) {
          this.#events.off("write", check);
          resolve();
        }
      };
      this.#events.on("write", check);
    });
  }

  async #writeOne(): Promise<void> {
    if (this.#disks.length === 0) return;
    const disk = this.#disks[Math.floor(this.#random() * this.#disks.length)];
    if (disk === undefined) return;
    const size = this.config.writeSizeBytes;
    const ranges = disk.hotSet.filter((r) => r.lengthBytes >= size);
    const total = ranges.reduce((n, r) => n + Math.floor(r.lengthBytes / size), 0);
    let pick = Math.floor(this.#random() * total);
    let offset = 0;
    for (const r of ranges) {
      const blocks = Math.floor(r.lengthBytes / size);
      if (pick < blocks) {
        offset = r.offsetBytes + pick * size;
        break;
      }
      pick -= blocks;
    }
    const data = randomBytes(size);
    data.write(`vm ${this.vmid} write ${this.#writes + 1}`, 0, "latin1");
    let ok = false;
    try {
      ok = await this.#writer(disk.slot, offset, data);
    } catch (e) {
      this.#lastError = (e as Error).message;
    }
    if (ok) {
      this.#writes++;
      const write: WorkloadWrite = { sequence: this.#writes, slot: disk.slot, offsetBytes: offset, data };
      this.#events.emit("write", write);
    } else {
      this.#failedWrites++;
    }
  }
}
