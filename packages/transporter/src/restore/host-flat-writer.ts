/**
 * Writes byte ranges into an existing flat file on the host over SSH channels, never creating, truncating
 * or growing it. Two ways (docs/adr/0025 for the measurement that chose between them):
 *
 * - `python`: one long-lived writer per channel (flat-writer-python-script.ts, given with `-c`), fed frames
 *   of offset + length + bytes on its stdin; it acknowledges each frame once it is written. One process per
 *   channel for the whole disk, so scattered chunks cost a frame header each, not a process.
 * - `dd`: one busybox `dd of=FLAT bs=CHUNK seek=N conv=notrunc` per range, the bytes on its stdin; its exit
 *   status is the acknowledgement. For hosts without Python 3.
 *
 * A write resolves only once the host acknowledged it. Resume (docs/adr/0027): a write that fails with a
 * retryable SSH error (a lost connection, a channel that stalled) is sent again whole on a new writer (the
 * session reconnects), up to `attempts` times, reported through `onRetry`. That is sound because every
 * write of a restore puts the point's own bytes at their own offset: writing them twice changes nothing, and
 * a range half-written before the drop is simply written again. Failures a person must act on (the file
 * cannot be opened, a range past its end, an abort) are not retried.
 *
 * Every command is built from quoted arguments. `write` may be called from several lanes at once; a lane
 * uses channel `lane % channels`, and a frame is written to a channel whole, so lanes never interleave
 * inside one. `close` ends every writer and checks it wrote what it was given (after an fsync); `abandon`
 * kills them, and no write is tried again after it.
 */
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import { EsxbackupError } from "@esxbackup/domain";
import { SshCommandFailedError } from "../esxi/ssh/esxi-ssh-errors.js";
import type { EsxiSshSession, StreamingExec } from "../esxi/ssh/esxi-ssh-session.js";
import { sh, shellCommand } from "../esxi/ssh/shell-command.js";
import { FLAT_WRITER_PYTHON_SCRIPT } from "./flat-writer-python-script.js";
import { DEFAULT_RESTORE_ATTEMPTS, retryReason, retryableSshError } from "./lost-connection-retry.js";

/**
 * Bytes queued for a channel's writer before the stream signals backpressure: one restore run. Each lane
 * waits for its frame's acknowledgement, so a channel never holds more than its lanes' runs anyway.
 */
const WRITER_BUFFER_BYTES = 1024 * 1024;

/** A frame length with this bit set asks the host writer for zeros (flat-writer-python-script.ts). */
const ZERO_FLAG = 1n << 63n;

/**
 * The most zeros one frame (or one `dd`) asks of the host. Nothing flows on the channel while the host
 * makes them, and its acknowledgement must come before the channel's idle timeout (2 minutes): a restore
 * over a large disk has zero runs of many gigabytes, which a real datastore writes (or, for the writer's
 * check of what is zero already, reads) at tens of MB/s. 256 MiB takes 13 s at 20 MB/s; a multiple of
 * every chunk size, so every piece starts on a chunk.
 */
export const MAX_ZERO_PIECE_BYTES = 256 * 1024 * 1024;

/** A zero run cut into pieces of at most `maxPieceBytes`, in order. */
export function zeroPieces(offsetBytes: number, lengthBytes: number, maxPieceBytes = MAX_ZERO_PIECE_BYTES): { offsetBytes: number; lengthBytes: number }[] {
  const pieces: { offsetBytes: number; lengthBytes: number }[] = [];
  for (let done = 0; done < lengthBytes; done += maxPieceBytes) pieces.push({ offsetBytes: offsetBytes + done, lengthBytes: Math.min(maxPieceBytes, lengthBytes - done) });
  return pieces;
}

export type FlatWriteMethod = { kind: "python"; interpreter: string } | { kind: "dd" };

export interface FlatFileWriter {
  /** Resolves once the host acknowledged the bytes as written. */
  write(lane: number, offsetBytes: number, data: Uint8Array): Promise<void>;
  /** Writes `lengthBytes` zeros at `offsetBytes`, made on the host (nothing but the request is sent). */
  writeZeros(lane: number, offsetBytes: number, lengthBytes: number): Promise<void>;
  /** Ends the writers and checks each wrote everything it was given. */
  close(): Promise<void>;
  /** Stops every writer without waiting for it (after an error or an abort); nothing is tried again after it. */
  abandon(): Promise<void>;
}

export class HostWriteError extends EsxbackupError {
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super("host_write_failed", `writing ${path} on the host: ${problem}`, options);
  }
}

export interface OpenFlatWriterOptions {
  session: Pick<EsxiSshSession, "exec" | "execStream">;
  path: string;
  method: FlatWriteMethod;
  channels: number;
  /** The dd block size: the repository's chunk size (every offset is a multiple of it). */
  blockBytes: number;
  signal: AbortSignal;
  /** Tries per write after retryable failures (default 3). */
  attempts?: number;
  /** Called before a write is sent again, with what and why, for logs and tests. */
  onRetry?: (reason: string) => void;
}

export async function openFlatFileWriter(options: OpenFlatWriterOptions): Promise<FlatFileWriter> {
  const once = options.method.kind === "dd" ? new DdFlatWriter(options) : new PythonFlatWriter(options, options.method.interpreter);
  return new RetryingFlatWriter(once, options);
}

/** Tries each write, and the final close, up to `attempts` times while the failure is a retryable SSH one. */
class RetryingFlatWriter implements FlatFileWriter {
  readonly #once: FlatFileWriter;
  readonly #options: OpenFlatWriterOptions;
  #abandoned = false;

  constructor(once: FlatFileWriter, options: OpenFlatWriterOptions) {
    this.#once = once;
    this.#options = options;
  }

  write(lane: number, offsetBytes: number, data: Uint8Array): Promise<void> {
    return this.#tried(`bytes ${offsetBytes}+${data.byteLength}`, () => this.#once.write(lane, offsetBytes, data));
  }

  writeZeros(lane: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    return this.#tried(`zeros at ${offsetBytes}+${lengthBytes}`, () => this.#once.writeZeros(lane, offsetBytes, lengthBytes));
  }

  close(): Promise<void> {
    return this.#tried("the final flush", () => this.#once.close());
  }

  async abandon(): Promise<void> {
    this.#abandoned = true;
    await this.#once.abandon();
  }

  async #tried(what: string, once: () => Promise<void>): Promise<void> {
    const { signal, path } = this.#options;
    const attempts = this.#options.attempts ?? DEFAULT_RESTORE_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        return await once();
      } catch (error) {
        const retryable = retryableSshError(error);
        if (retryable === undefined || this.#abandoned || signal.aborted) throw error;
        if (attempt >= attempts) throw new HostWriteError(path, `${what} not written after ${attempts} tries (${retryReason(retryable)})`, { cause: error });
        this.#options.onRetry?.(`${what} of ${path}: ${retryReason(retryable)}, sending again (try ${attempt + 1} of ${attempts})`);
      }
    }
  }
}

class DdFlatWriter implements FlatFileWriter {
  readonly #options: OpenFlatWriterOptions;
  constructor(options: OpenFlatWriterOptions) {
    this.#options = options;
  }

  /** dd's exit status arrives only over a live connection, after it wrote all its stdin: the acknowledgement. */
  async write(_lane: number, offsetBytes: number, data: Uint8Array): Promise<void> {
    const { blockBytes, path, session, signal } = this.#options;
    if (offsetBytes % blockBytes !== 0) throw new HostWriteError(path, `offset ${offsetBytes} is not a multiple of ${blockBytes}`);
    const command = sh`dd of=${path} bs=${blockBytes} seek=${offsetBytes / blockBytes} conv=notrunc`;
    await session.exec(command, { stdin: Buffer.from(data.buffer, data.byteOffset, data.byteLength), signal });
  }

  async writeZeros(_lane: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    const { blockBytes, path, session, signal } = this.#options;
    if (offsetBytes % blockBytes !== 0) throw new HostWriteError(path, `offset ${offsetBytes} is not a multiple of ${blockBytes}`);
    // Whole blocks from /dev/zero, a piece per dd so each ends well within the command's timeout, then the
    // tail (a disk's last chunk may be short) from a dd fed zeros.
    const blocks = Math.floor(lengthBytes / blockBytes);
    const tail = lengthBytes - blocks * blockBytes;
    for (const piece of zeroPieces(offsetBytes, blocks * blockBytes)) {
      await session.exec(sh`dd if=/dev/zero of=${path} bs=${blockBytes} seek=${piece.offsetBytes / blockBytes} count=${piece.lengthBytes / blockBytes} conv=notrunc`, { signal });
    }
    if (tail > 0) await this.write(0, offsetBytes + blocks * blockBytes, new Uint8Array(tail));
  }

  async close(): Promise<void> {}
  async abandon(): Promise<void> {}
}

interface SentFrame {
  offsetBytes: number;
  lengthBytes: number;
  acknowledged: () => void;
  failed: (error: unknown) => void;
}

/** One Python writer on the host, on one SSH channel. */
interface WriterProcess {
  stdin: PassThrough;
  exec: StreamingExec;
  /** Frames sent and not yet acknowledged, in the order sent: the writer acknowledges them in that order. */
  unacknowledged: SentFrame[];
  /** Frames and bytes it acknowledged. */
  frames: number;
  bytes: number;
  /** Its `written FRAMES BYTES` line, once it ended. */
  summary: string | undefined;
  /** Set by `close`: its input ended on purpose, so its end is expected. */
  closing: boolean;
  /** The first failure: every frame in flight failed with it, and the next write starts another writer. */
  failure: unknown;
}

interface PythonChannel {
  /** The current writer (a promise while it starts); replaced once it failed. */
  process: Promise<WriterProcess> | undefined;
  used: boolean;
  closed: boolean;
}

class PythonFlatWriter implements FlatFileWriter {
  readonly #options: OpenFlatWriterOptions;
  readonly #interpreter: string;
  readonly #channels: PythonChannel[];
  #abandoned = false;

  constructor(options: OpenFlatWriterOptions, interpreter: string) {
    this.#options = options;
    this.#interpreter = interpreter;
    this.#channels = Array.from({ length: Math.max(1, options.channels) }, () => ({ process: undefined, used: false, closed: false }));
  }

  async write(lane: number, offsetBytes: number, data: Uint8Array): Promise<void> {
    await this.#frame(lane, offsetBytes, data.byteLength, data);
  }

  async writeZeros(lane: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    for (const piece of zeroPieces(offsetBytes, lengthBytes)) await this.#frame(lane, piece.offsetBytes, piece.lengthBytes, undefined);
  }

  /** One frame, header and bytes written to the channel together; `data` undefined: zeros made on the host. */
  async #frame(lane: number, offsetBytes: number, lengthBytes: number, data: Uint8Array | undefined): Promise<void> {
    const channel = this.#channels[lane % this.#channels.length] as PythonChannel;
    channel.used = true;
    const process = await this.#liveProcess(channel);
    const acknowledged = new Promise<void>((resolve, reject) => process.unacknowledged.push({ offsetBytes, lengthBytes, acknowledged: resolve, failed: reject }));
    const header = Buffer.alloc(16);
    header.writeBigUInt64BE(BigInt(offsetBytes), 0);
    header.writeBigUInt64BE(BigInt(lengthBytes) + (data === undefined ? ZERO_FLAG : 0n), 8);
    process.stdin.write(header);
    if (data !== undefined) process.stdin.write(data);
    await acknowledged;
  }

  /**
   * The channel's writer: the current one, or a new one when it failed (lanes of a channel share one
   * start). A writer that fails as it starts fails this try.
   */
  async #liveProcess(channel: PythonChannel): Promise<WriterProcess> {
    const current = channel.process ?? this.#startOn(channel);
    const process = await current;
    if (process.failure === undefined) return process;
    if (channel.process === current) channel.process = undefined;
    const next = await (channel.process ?? this.#startOn(channel));
    if (next.failure !== undefined) throw next.failure;
    return next;
  }

  #startOn(channel: PythonChannel): Promise<WriterProcess> {
    if (this.#abandoned) return Promise.reject(new HostWriteError(this.#options.path, "the writers were stopped"));
    const starting = this.#start();
    channel.process = starting;
    // A start that failed is forgotten, so the next try starts again.
    starting.catch(() => {
      if (channel.process === starting) channel.process = undefined;
    });
    return starting;
  }

  async #start(): Promise<WriterProcess> {
    const { path, session, signal } = this.#options;
    const stdin = new PassThrough({ highWaterMark: WRITER_BUFFER_BYTES });
    const exec = await session.execStream(shellCommand([this.#interpreter, "-c", FLAT_WRITER_PYTHON_SCRIPT, path]), { stdin, signal });
    const process: WriterProcess = { stdin, exec, unacknowledged: [], frames: 0, bytes: 0, summary: undefined, closing: false, failure: undefined };
    const fail = (error: unknown): void => {
      if (process.failure !== undefined) return;
      // The writer's own refusal (exit 2 or 3) says what is wrong in its stderr line; the command is the script.
      process.failure = error instanceof SshCommandFailedError ? new HostWriteError(path, error.stderr.trim() === "" ? `the writer on the host failed (${error.message})` : error.stderr.trim(), { cause: error }) : error;
      for (const frame of process.unacknowledged.splice(0)) frame.failed(process.failure);
    };
    let pending = "";
    exec.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        const problem = this.#takeLine(process, line);
        if (problem !== undefined) fail(new HostWriteError(path, problem));
      }
    });
    exec.stdout.on("error", fail);
    stdin.on("error", fail);
    exec.result.then(() => {
      if (!process.closing) fail(new HostWriteError(path, "the writer on the host ended before its input did"));
    }, fail);
    return process;
  }

  /** Takes one line of a writer's output; returns what is wrong with it, if anything. */
  #takeLine(process: WriterProcess, line: string): string | undefined {
    if (line.startsWith("written ")) {
      process.summary = line;
      return undefined;
    }
    const frame = process.unacknowledged[0];
    if (frame === undefined || line !== `ok ${frame.offsetBytes} ${frame.lengthBytes}`) {
      return `the writer acknowledged ${JSON.stringify(line.slice(0, 100))}, expected ${frame === undefined ? "nothing" : JSON.stringify(`ok ${frame.offsetBytes} ${frame.lengthBytes}`)}`;
    }
    process.unacknowledged.shift();
    process.frames += 1;
    process.bytes += frame.lengthBytes;
    frame.acknowledged();
    return undefined;
  }

  /**
   * Ends each used channel's writer and checks its summary. A channel whose writer was lost after its last
   * acknowledgement gets a new writer with no frames: its end is the fsync the lost one did not reach.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.#channels.map(async (channel) => {
        if (!channel.used || channel.closed) return;
        const process = await this.#liveProcess(channel);
        process.closing = true;
        process.stdin.end();
        await Promise.all([process.exec.result, finished(process.exec.stdout)]).catch((error: unknown) => {
          throw process.failure ?? error;
        });
        const expected = `written ${process.frames} ${process.bytes}`;
        if (process.summary !== expected) throw new HostWriteError(this.#options.path, `the writer reported ${JSON.stringify(process.summary ?? "")}, expected ${JSON.stringify(expected)}`);
        channel.closed = true;
      }),
    );
  }

  async abandon(): Promise<void> {
    this.#abandoned = true;
    await Promise.all(
      this.#channels.map(async (channel) => {
        const process = await channel.process?.catch(() => undefined);
        if (process === undefined) return;
        process.closing = true;
        process.stdin.destroy();
        process.exec.stdout.destroy();
        await process.exec.result.catch(() => undefined);
      }),
    );
  }
}
