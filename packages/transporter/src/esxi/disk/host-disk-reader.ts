/**
 * One reader of byte ranges of a disk on the host, over one SSH channel at a time, one read in flight: the
 * Python reader keeps one process (and channel) for all its reads; the `dd` reader starts one per read.
 * Either lands the bytes in the caller's buffer and counts them: fewer than asked is `DiskReadShortError`
 * naming the disk, more is a protocol error, never data.
 *
 * Opened with `fingerprints` (Python only), the reader fingerprints what it reads on the host (docs/adr/0038):
 * each read then lands the range with its all-zero blocks zeroed here (the host does not send them) and
 * returns the blocks' digests and which were zero.
 *
 * Retry: a read is idempotent, so a dropped connection or a stalled channel (retryable `EsxiSshError`) is
 * answered by starting the reader again (the session reconnects) and reading the range again, up to
 * `attempts` times. Failures a person must act on (the file cannot be opened, the disk is short, an abort)
 * are not retried.
 */
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import type { Readable } from "node:stream";
import { FINGERPRINT_ALGORITHMS, copyBytes, fingerprintBlockCount } from "@esxbackup/domain";
import type { RangeFingerprints } from "../../backup/disk-source.js";
import type { HashingCapabilities, HashingMethod } from "../hashing/hashing-method.js";
import { HostLacksToolsError } from "../probe/host-lacks-tools-error.js";
import type { HostDiskKind } from "../hashing/host-disk-hashing.js";
import { zeroBlockDigest } from "../hashing/zero-block-digest.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { EsxiSshError, SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import { ddDiskReadCommand, diskReadRequestLine, pythonDiskReaderCommand } from "./disk-read-command.js";
import { DiskReadShortError } from "./disk-read-errors.js";

export type DiskReadMechanism = { kind: "python"; command: string } | { kind: "dd" };

/**
 * The host reads with the Python it hashes with; without that Python, one `dd` per read. A host with
 * neither cannot give its disks' bytes at all: a HostLacksToolsError, raised before a snapshot is taken.
 */
export function readingFor(hashing: HashingMethod, capabilities: Pick<HashingCapabilities, "applets">): DiskReadMechanism {
  if (hashing.kind === "python") return { kind: "python", command: hashing.command };
  if (capabilities.applets.includes("dd")) return { kind: "dd" };
  throw new HostLacksToolsError("no usable Python 3 and no dd in its busybox: nothing on the host can read a disk's bytes");
}

export interface HostDiskReaderOptions {
  session: Pick<EsxiSshSession, "execStream">;
  /** Host path of the extent (`…-flat.vmdk` under the run's snapshot). */
  path: string;
  /** Names the disk in errors. */
  label: string;
  mechanism: DiskReadMechanism;
  signal: AbortSignal;
  /** Tries per read after retryable failures (default 3). */
  attempts?: number;
  /** Called before a read is tried again, for logs and tests. */
  onRetry?: (reason: string) => void;
  /**
   * Awaited before each read of so many bytes is requested from the host: the run's bandwidth
   * limit (docs/adr/0032). The host reads when asked, so pacing the requests paces the bytes on the wire.
   */
  beforeRead?: (bytes: number) => Promise<void>;
  /** The host fingerprints each block it reads, and sends only the blocks that are not all zero (Python only). */
  fingerprints?: HostDiskKind;
}

export interface HostDiskReader {
  /**
   * Fills `target` (exactly `lengthBytes` long) with the bytes at `offsetBytes`; opened with `fingerprints`,
   * returns them for the range (its offset then a multiple of the block size, its length at most
   * `READER_READ_BYTES`).
   */
  read(offsetBytes: number, target: Buffer): Promise<RangeFingerprints | undefined>;
  close(): Promise<void>;
}

export function openHostDiskReader(options: HostDiskReaderOptions): HostDiskReader {
  if (options.fingerprints !== undefined && options.mechanism.kind !== "python") throw new Error(`${options.label}: only the Python reader fingerprints what it reads`);
  const once = options.mechanism.kind === "python" ? new PythonProcessReader(options, options.mechanism.command) : new DdReader(options);
  const attempts = options.attempts ?? 3;
  return {
    async read(offsetBytes, target) {
      // Once per read: a retry after a dropped connection is not paced again (docs/adr/0032).
      if (options.beforeRead !== undefined) await options.beforeRead(target.length);
      for (let attempt = 1; ; attempt++) {
        options.signal.throwIfAborted();
        try {
          return await once.read(offsetBytes, target);
        } catch (error) {
          const retry = error instanceof EsxiSshError && error.retryable && attempt < attempts && !options.signal.aborted;
          if (!retry) throw asShortRead(error, options.label, offsetBytes, target.length);
          options.onRetry?.(error.message);
          await once.reset();
        }
      }
    },
    close: () => once.close(),
  };
}

/** The host's "the file ends" (exit 3 of the Python reader) in the words of the disk. */
function asShortRead(error: unknown, label: string, offsetBytes: number, lengthBytes: number): unknown {
  if (error instanceof SshCommandFailedError && error.exitCode === 3) {
    return new DiskReadShortError(label, { offsetBytes, lengthBytes }, 0, error.stderr.trim());
  }
  return error;
}

interface SingleReader {
  read(offsetBytes: number, target: Buffer): Promise<RangeFingerprints | undefined>;
  /** Forgets the current process after a failure (the next read starts a new one). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Where a reader's answer goes as it arrives; `take` returns the bytes beyond the answer (a protocol violation when non-empty). */
interface Landing {
  readonly target: Buffer;
  readonly offsetBytes: number;
  /** Bytes of the answer received so far. */
  readonly received: number;
  readonly done: Promise<unknown>;
  take(chunk: Buffer): Buffer;
  fail(error: unknown): void;
}

/** Copies a stream's bytes into `target` until `target` is full; resolves when full, fails on more or on less. */
class RawLanding implements Landing {
  received = 0;
  readonly done: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  constructor(
    readonly target: Buffer,
    readonly offsetBytes: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }
  /** Returns the bytes of `chunk` beyond the target (a protocol violation when non-empty). */
  take(chunk: Buffer): Buffer {
    const room = this.target.length - this.received;
    const used = Math.min(room, chunk.length);
    copyBytes(chunk.subarray(0, used), this.target, this.received);
    this.received += used;
    if (this.received === this.target.length) this.#resolve();
    return chunk.subarray(used);
  }
  fail(error: unknown): void {
    this.#reject(error);
  }
}

/**
 * Zeros to copy over a `Z` block in a landing buffer. The buffers are shared memory, which V8 fills a byte at
 * a time but copies into at memcpy speed from an equally aligned source (copyBytes), as this
 * buffer is for the blocks' places: 64 KiB blocks into a 4 MiB shared buffer on one core here, 2.4-3.3
 * GB/s with `fill`, 17-19 GB/s copied from this buffer. With `fill`, a first backup of the bench's disk
 * spent about 0.55 s of the receiver's core zeroing its 1.26 GB of zero blocks (perf, bench/README).
 */
let zeros = Buffer.alloc(0);
function zeroBytes(length: number): Buffer {
  if (zeros.length < length) zeros = Buffer.alloc(length);
  return zeros;
}

/**
 * The answer of a reader that fingerprints (disk-read-python-script.ts): one record per block — `Z`, or `D`
 * and the block's digest — then the bytes of the `D` blocks, each landed at its place in `target`; the `Z`
 * blocks are zeroed here (the target is a reused buffer). Resolves with the fingerprints once every byte is in.
 */
class FingerprintLanding implements Landing {
  received = 0;
  readonly done: Promise<RangeFingerprints>;
  readonly #kind: HostDiskKind;
  readonly #label: string;
  readonly #blocks: number;
  readonly #digestBytes: number;
  readonly #records: Buffer;
  /** Blocks sent, in order, and where the next byte of data goes. */
  #sent: number[] = [];
  #sentIndex = 0;
  #intoBlock = 0;
  #bytesSent = 0;
  #result: RangeFingerprints | undefined;
  #resolve!: (fingerprints: RangeFingerprints) => void;
  #reject!: (error: unknown) => void;

  constructor(
    readonly target: Buffer,
    readonly offsetBytes: number,
    kind: HostDiskKind,
    label: string,
  ) {
    this.#kind = kind;
    this.#label = label;
    this.#blocks = fingerprintBlockCount(target.length, kind.blockSizeBytes);
    this.#digestBytes = FINGERPRINT_ALGORITHMS[kind.algorithm];
    this.#records = Buffer.alloc(this.#blocks * (1 + this.#digestBytes));
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  take(chunk: Buffer): Buffer {
    let rest = chunk;
    if (this.received < this.#records.length) {
      const used = Math.min(this.#records.length - this.received, rest.length);
      rest.copy(this.#records, this.received, 0, used);
      this.received += used;
      rest = rest.subarray(used);
      if (this.received < this.#records.length) return rest;
      try {
        this.#readRecords();
      } catch (error) {
        this.#reject(error);
        return Buffer.alloc(0);
      }
    }
    const block = this.#kind.blockSizeBytes;
    while (rest.length > 0 && this.#sentIndex < this.#sent.length) {
      const index = this.#sent[this.#sentIndex] as number;
      const length = this.#blockLength(index);
      const used = Math.min(length - this.#intoBlock, rest.length);
      copyBytes(rest.subarray(0, used), this.target, index * block + this.#intoBlock);
      this.#intoBlock += used;
      this.#bytesSent += used;
      this.received += used;
      rest = rest.subarray(used);
      if (this.#intoBlock === length) {
        this.#sentIndex += 1;
        this.#intoBlock = 0;
      }
    }
    if (this.#sentIndex === this.#sent.length && this.#result !== undefined) this.#resolve({ ...this.#result, bytesSent: this.#bytesSent });
    return rest;
  }

  fail(error: unknown): void {
    this.#reject(error);
  }

  #blockLength(index: number): number {
    return Math.min(this.#kind.blockSizeBytes, this.target.length - index * this.#kind.blockSizeBytes);
  }

  #readRecords(): void {
    const recordBytes = 1 + this.#digestBytes;
    const digests = Buffer.alloc(this.#blocks * this.#digestBytes);
    const zeroBlocks = new Uint8Array(this.#blocks);
    for (let index = 0; index < this.#blocks; index += 1) {
      const at = index * recordBytes;
      const mark = this.#records[at];
      const start = index * this.#kind.blockSizeBytes;
      const length = this.#blockLength(index);
      if (mark === 0x44 /* D */) {
        this.#records.copy(digests, index * this.#digestBytes, at + 1, at + recordBytes);
        this.#sent.push(index);
      } else if (mark === 0x5a /* Z */) {
        zeroBlocks[index] = 1;
        zeroBlockDigest(this.#kind.algorithm, length).copy(digests, index * this.#digestBytes);
        zeroBytes(length).copy(this.target, start, 0, length);
      } else {
        throw new Error(`${this.#label}: the host's reader answered bytes ${this.offsetBytes}+${this.target.length} with a record for block ${index} that is neither Z nor D (0x${(mark ?? 0).toString(16)})`);
      }
    }
    this.#result = { digests, zeroBlocks, bytesSent: 0 };
  }
}

interface ReaderProcess {
  stdin: PassThrough;
  stdout: Readable;
  result: Promise<unknown>;
  /** The first failure seen; every later read fails with it until `reset`. */
  failure?: unknown;
  /** The failure came while no read was waiting for bytes. */
  failedBetweenReads?: boolean;
}

class PythonProcessReader implements SingleReader {
  #process: ReaderProcess | undefined;
  #landing: Landing | undefined;

  constructor(
    readonly options: HostDiskReaderOptions,
    readonly python: string,
  ) {}

  async read(offsetBytes: number, target: Buffer): Promise<RangeFingerprints | undefined> {
    let process = this.#process ?? (await this.#start());
    if (process.failure !== undefined && process.failedBetweenReads === true) {
      // It ended with no read asked of it (an idle timeout while reads were held back by the bandwidth
      // limit or a slow repository): nothing was lost, so a new one serves this read, not as a retry.
      await this.reset();
      process = await this.#start();
    }
    if (process.failure !== undefined) throw process.failure;
    const fingerprints = this.options.fingerprints;
    const landing = fingerprints === undefined ? new RawLanding(target, offsetBytes) : new FingerprintLanding(target, offsetBytes, fingerprints, this.options.label);
    this.#landing = landing;
    try {
      process.stdin.write(diskReadRequestLine(offsetBytes, target.length));
      const answer = await landing.done;
      return fingerprints === undefined ? undefined : (answer as RangeFingerprints);
    } finally {
      this.#landing = undefined;
    }
  }

  async #start(): Promise<ReaderProcess> {
    const stdin = new PassThrough();
    const exec = await this.options.session.execStream(pythonDiskReaderCommand(this.options.path, this.python, this.options.fingerprints), { stdin, signal: this.options.signal });
    const process: ReaderProcess = { stdin, stdout: exec.stdout, result: exec.result };
    const fail = (error: unknown): void => {
      if (process.failure === undefined) process.failedBetweenReads = this.#landing === undefined;
      process.failure ??= error;
      this.#landing?.fail(process.failure);
    };
    exec.stdout.on("data", (chunk: Buffer) => {
      const landing = this.#landing;
      const extra = landing === undefined ? chunk : landing.take(chunk);
      if (extra.length > 0) fail(new Error(`${this.options.label}: the host's reader sent ${extra.length} bytes nobody asked for`));
    });
    exec.stdout.on("error", fail);
    exec.stdout.on("end", () => {
      const landing = this.#landing;
      fail(new DiskReadShortError(this.options.label, { offsetBytes: landing?.offsetBytes ?? 0, lengthBytes: landing?.target.length ?? 0 }, landing?.received ?? 0, "the reader ended"));
    });
    exec.result.catch(fail);
    this.#process = process;
    return process;
  }

  async reset(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    if (process !== undefined) {
      process.stdout.destroy();
      await process.result.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    if (process === undefined) return;
    // End of requests: the reader exits 0 on its own.
    process.stdin.end();
    await process.result.catch(() => undefined);
  }
}

class DdReader implements SingleReader {
  constructor(readonly options: HostDiskReaderOptions) {}

  async read(offsetBytes: number, target: Buffer): Promise<undefined> {
    const exec = await this.options.session.execStream(ddDiskReadCommand(this.options.path, offsetBytes, target.length), { signal: this.options.signal });
    const landing = new RawLanding(target, offsetBytes);
    let extra = 0;
    exec.stdout.on("data", (chunk: Buffer) => (extra += landing.take(chunk).length));
    await Promise.all([exec.result, finished(exec.stdout)]);
    if (landing.received !== target.length) throw new DiskReadShortError(this.options.label, { offsetBytes, lengthBytes: target.length }, landing.received, "");
    if (extra > 0) throw new Error(`${this.options.label}: dd gave ${extra} bytes more than bytes ${offsetBytes}+${target.length}`);
    return undefined;
  }

  async reset(): Promise<void> {}

  async close(): Promise<void> {}
}
