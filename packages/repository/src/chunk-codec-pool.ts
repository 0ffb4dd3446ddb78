/**
 * Encodes and decodes chunks on a pool of worker threads (default: one per core), so hashing, zstd and
 * AES-GCM of a backup run in parallel while the main thread does I/O. `threads: 0` runs everything inline
 * (useful where workers are not wanted). The caller closes the pool.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ChunkDigest } from "@esxbackup/domain";
import { decodeChunk, digestRun, encodeChunk, sealRun } from "./chunk-codec.js";
import type { EncodedChunk, SealedRun } from "./chunk-codec.js";
import type { ChunkJob, ChunkJobResult, ChunkWorkerData } from "./chunk-worker.js";
import { CpuUseMeter } from "./cpu-use-meter.js";
import { DEFAULT_COMPRESSION_LEVEL, EnvelopeError, MAX_COMPRESSION_LEVEL, MIN_COMPRESSION_LEVEL, envelopeSessionId } from "./envelope.js";
import type { SessionKeys } from "./session-keys.js";
import { ownsWholeBuffer, transferListOf } from "./transfer-list.js";

/**
 * Worker threads for a reader that mostly decodes chunks (a restore): one per core, none on a single core.
 * There a worker has no core of its own; it only adds its heap and the copies of every message, and a
 * restore to a host with one (the receiver pinned to one core, 1 GiB) peaked 80 MiB higher than with the
 * chunks decoded inline, at no gain in speed. A backup over SSH keeps its worker even then: measured the
 * same way, encoding inline saved 40 MiB but cost 0.4-1.4 s more CPU per GiB (the main thread, busy
 * compressing, also has the SSH stream to take in).
 */
export function decodingThreads(cores = availableParallelism()): number {
  return cores > 1 ? cores : 0;
}

interface Lane {
  worker: Worker;
  inFlight: number;
}

/**
 * Above this share of its cores in use, a process has no core left for a costlier compression level: the
 * rest is the scheduler's and the pipeline's slack (ADR 29 says why not 100 %).
 */
export const BUSY_CORES_SHARE = 0.75;

/**
 * The zstd level for the next run to seal. With a `floor` (a backup that holds a VM snapshot open, ADR 29),
 * a run is compressed at the floor instead of the repository's level when the encoding would set the
 * pace: the workers are behind (as many jobs in flight as workers, so the run would wait for one), or the
 * process already uses most of its cores (`coresBusy`, the share from `CpuUseMeter`: workers sharing their
 * cores with the main thread are never "behind" by their queue, yet every cycle of theirs is taken from it).
 * Once neither holds, runs go back to `level`. Without a floor, always `level`.
 */
export function compressionLevelFor(input: { level: number; floor?: number | undefined; jobsInFlight: number; workers: number; coresBusy?: number }): number {
  const { level, floor, jobsInFlight, workers, coresBusy } = input;
  if (floor === undefined || floor >= level) return level;
  const workersBehind = workers > 0 && jobsInFlight >= workers;
  const coresTaken = coresBusy !== undefined && coresBusy >= BUSY_CORES_SHARE;
  return workersBehind || coresTaken ? floor : level;
}

/**
 * Sealed-run buffers kept for reuse: one per long run in flight (a backup reads 4 at a time). Runs beyond
 * that are short (scattered changes) and cheap to allocate; keeping 8 cost a 1 GiB backup over SSH about
 * 15-25 MiB more peak memory at no gain in speed.
 */
const MAX_SPARES = 4;

type Pending = { resolve: (result: ChunkJobResult) => void; reject: (error: unknown) => void; lane: Lane };

export class ChunkCodecPool {
  readonly #idKey: Buffer | undefined;
  readonly #sessions: SessionKeys;
  readonly #level: number;
  readonly #floor: number | undefined;
  readonly #cpuUse: (() => number) | undefined;
  readonly #lanes: Lane[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #spares: ArrayBuffer[] = [];
  #nextId = 1;

  /**
   * `idKey`: the key chunk names are HMACs under (encrypted repositories); `sessions` gives each job the key
   * to seal or open with. `compressionLevel`: the zstd level chunks are compressed with (decoding works
   * whatever it was); `compressionFloor`: the lower level runs are sealed at while the workers are behind
   * (`compressionLevelFor`); `cpuUse`: the share of its cores the process uses lately, which also decides
   * for the floor (default: a `CpuUseMeter` of this process, made only when there is a floor).
   */
  constructor(
    idKey: Buffer | undefined,
    sessions: SessionKeys,
    options: { threads?: number; compressionLevel?: number; compressionFloor?: number; cpuUse?: () => number } = {},
  ) {
    this.#idKey = idKey;
    this.#sessions = sessions;
    this.#level = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
    this.#floor = options.compressionFloor;
    if (options.cpuUse !== undefined) this.#cpuUse = options.cpuUse;
    else if (this.#floor !== undefined) {
      const meter = new CpuUseMeter();
      this.#cpuUse = () => meter.share();
    }
    for (const [name, level] of [["compressionLevel", this.#level], ["compressionFloor", this.#floor]] as const) {
      if (level !== undefined && !(Number.isInteger(level) && level >= MIN_COMPRESSION_LEVEL && level <= MAX_COMPRESSION_LEVEL)) {
        throw new RangeError(`${name} must be a whole number from ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL} (got ${level})`);
      }
    }
    const threads = options.threads ?? availableParallelism();
    for (let index = 0; index < threads; index += 1) {
      const workerData: ChunkWorkerData = { idKey: idKey === undefined ? undefined : new Uint8Array(idKey), compressionLevel: this.#level };
      const worker = new Worker(new URL("./chunk-worker.js", import.meta.url), { workerData });
      const lane: Lane = { worker, inFlight: 0 };
      worker.on("message", (result: ChunkJobResult) => this.#settle(result));
      worker.on("error", (error) => this.#failLane(lane, error));
      worker.unref();
      this.#lanes.push(lane);
    }
  }

  /** All-zero chunks come back as `{ zero: true }` without a digest. */
  async encode(plain: Uint8Array): Promise<EncodedChunk> {
    const sealing = this.#sessions.sealing(1);
    if (this.#lanes.length === 0) return encodeChunk(plain, this.#idKey, sealing, this.#level);
    const result = await this.#run({ id: 0, op: "encode", plain, sealing });
    if (!result.ok) throw new Error(result.message);
    if ("zero" in result) return result.zero ? { zero: true } : { zero: false, digest: result.digest, bytes: Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength) };
    throw new Error("chunk worker answered an encode with a decode result");
  }

  /**
   * Hashes the consecutive chunks of `chunkBytes` (the last may be shorter) that `plain` holds; null marks
   * an all-zero chunk. `plain` is transferred to a worker when it owns its whole ArrayBuffer: the caller
   * must not use it afterwards, but gets it back as `plain` (same memory, same bytes). A view of shared
   * memory is read in place and comes back as itself.
   */
  async digestRun(plain: Uint8Array, chunkBytes: number): Promise<{ digests: (ChunkDigest | null)[]; plain: Buffer }> {
    if (this.#lanes.length === 0) return { digests: digestRun(plain, chunkBytes, this.#idKey), plain: asBuffer(plain) };
    const result = await this.#run({ id: 0, op: "digestRun", plain, chunkBytes }, transferListOf(plain));
    if (!result.ok) throw new Error(result.message);
    if (!("digests" in result)) throw new Error("chunk worker answered a digestRun with another result");
    return { digests: result.digests, plain: asBuffer(result.plain ?? plain) };
  }

  /**
   * Seals the chunks at `positions` of such a run; the envelopes share one buffer, which lives as long as
   * any of them is referenced, or until it is given back with `recycle`. `plain` is handed over as by
   * `digestRun`, and not handed back.
   */
  async sealRun(plain: Uint8Array, chunkBytes: number, positions: number[]): Promise<{ envelopes: Buffer[]; buffer: Buffer }> {
    let sealed: SealedRun;
    const spare = this.#spares.pop();
    const sealing = this.#sessions.sealing(positions.length);
    const jobsInFlight = this.#lanes.reduce((sum, lane) => sum + lane.inFlight, 0);
    const level = compressionLevelFor({ level: this.#level, floor: this.#floor, jobsInFlight, workers: this.#lanes.length, ...(this.#cpuUse === undefined ? {} : { coresBusy: this.#cpuUse() }) });
    if (this.#lanes.length === 0) {
      sealed = sealRun(plain, chunkBytes, positions, sealing, level, spare);
    } else {
      const result = await this.#run({ id: 0, op: "sealRun", plain, chunkBytes, positions, sealing, level, ...(spare === undefined ? {} : { spare }) }, [
        ...transferListOf(plain),
        ...(spare === undefined ? [] : [spare]),
      ]);
      if (!result.ok) throw new Error(result.message);
      if (!("sealed" in result)) throw new Error("chunk worker answered a sealRun with another result");
      sealed = result.sealed;
    }
    const buffer = asBuffer(sealed.buffer);
    return { envelopes: sealed.envelopes.map(({ offset, length }) => buffer.subarray(offset, offset + length)), buffer };
  }

  /**
   * Takes back the buffer of a `sealRun` whose envelopes are all written and no longer referenced; the next
   * runs are sealed into it. A backup then keeps reusing a few buffers instead of allocating one per run,
   * which keeps its memory flat however large the disk.
   */
  recycle(buffer: Buffer): void {
    if (this.#spares.length < MAX_SPARES && ownsWholeBuffer(buffer)) this.#spares.push(buffer.buffer as ArrayBuffer);
  }

  /** Throws `EnvelopeError` describing the damage when the chunk is not sound. */
  async decode(bytes: Uint8Array, digest: ChunkDigest, expectedBytes: number): Promise<Buffer> {
    const sessions = this.#sessions;
    if (this.#lanes.length === 0) return decodeChunk(bytes, digest, expectedBytes, this.#idKey, sessions.opening);
    let key: Buffer | undefined;
    try {
      key = sessions.encrypted ? sessions.keyFor(envelopeSessionId(bytes)) : undefined;
    } catch (error) {
      throw error instanceof EnvelopeError ? error : new EnvelopeError(String(error));
    }
    const result = await this.#run({ id: 0, op: "decode", bytes, digest, expectedBytes, version: sessions.version, ...(key === undefined ? {} : { key }) });
    if (!result.ok) throw new EnvelopeError(result.message);
    if ("plain" in result) return Buffer.from(result.plain.buffer, result.plain.byteOffset, result.plain.byteLength);
    throw new Error("chunk worker answered a decode with an encode result");
  }

  async close(): Promise<void> {
    const lanes = this.#lanes.splice(0);
    // Idle workers are unref'd, and waiting for a worker's exit does not keep the event loop alive by
    // itself: without this timer a caller awaiting close() can be left pending when nothing else is
    // scheduled (the process then ends with the promise unsettled).
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await Promise.all(lanes.map((lane) => lane.worker.terminate()));
    } finally {
      clearInterval(keepAlive);
    }
  }

  #run(job: ChunkJob, transfer: ArrayBuffer[] = []): Promise<ChunkJobResult> {
    const lane = this.#lanes.reduce((best, candidate) => (candidate.inFlight < best.inFlight ? candidate : best));
    const id = this.#nextId++;
    lane.inFlight += 1;
    if (lane.inFlight === 1) lane.worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, lane });
      lane.worker.postMessage({ ...job, id }, transfer);
    });
  }

  #settle(result: ChunkJobResult): void {
    const pending = this.#pending.get(result.id);
    if (pending === undefined) return;
    this.#pending.delete(result.id);
    pending.lane.inFlight -= 1;
    if (pending.lane.inFlight === 0) pending.lane.worker.unref();
    pending.resolve(result);
  }

  #failLane(lane: Lane, error: unknown): void {
    for (const [id, pending] of this.#pending) {
      if (pending.lane !== lane) continue;
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
