/**
 * Writes byte ranges into an existing flat file on the host over SSH channels, never creating, truncating
 * or growing it. Two ways (docs/adr/0025 for the measurement that chose between them):
 *
 * - `python`: one long-lived writer per channel (flat-writer-python-script.ts, given with `-c`), fed frames
 *   of offset + length + bytes on its stdin; the channel's window is the backpressure. One process per
 *   channel for the whole disk, so scattered chunks cost a frame header each, not a process.
 * - `dd`: one busybox `dd of=FLAT bs=CHUNK seek=N conv=notrunc` per range, the bytes on its stdin; for
 *   hosts without Python 3.
 *
 * Every command is built from quoted arguments. `write` may be called from several lanes at once; a lane
 * uses channel `lane % channels`, and a frame is written to a channel whole, so lanes never interleave
 * inside one. `close` ends every writer and checks it wrote what it was given; `abandon` kills them.
 */
import { PassThrough } from "node:stream";
import { EsxbackupError } from "@esxbackup/domain";
import type { EsxiSshSession, StreamingExec } from "../esxi/ssh/esxi-ssh-session.js";
import { sh, shellCommand } from "../esxi/ssh/shell-command.js";
import { FLAT_WRITER_PYTHON_SCRIPT } from "./flat-writer-python-script.js";

/**
 * Bytes queued for a channel's writer before a lane waits for them to drain: one restore run (the other
 * lane of the channel reads the next meanwhile). More only holds memory; the SSH window keeps the link busy.
 */
const WRITER_BUFFER_BYTES = 1024 * 1024;

/** A frame length with this bit set asks the host writer for zeros (flat-writer-python-script.ts). */
const ZERO_FLAG = 1n << 63n;

export type FlatWriteMethod = { kind: "python"; interpreter: string } | { kind: "dd" };

export interface FlatFileWriter {
  write(lane: number, offsetBytes: number, data: Uint8Array): Promise<void>;
  /** Writes `lengthBytes` zeros at `offsetBytes`, made on the host (nothing but the request is sent). */
  writeZeros(lane: number, offsetBytes: number, lengthBytes: number): Promise<void>;
  /** Ends the writers and checks each wrote everything it was given. */
  close(): Promise<void>;
  /** Stops every writer without waiting for it (after an error or an abort). */
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
}

export async function openFlatFileWriter(options: OpenFlatWriterOptions): Promise<FlatFileWriter> {
  if (options.method.kind === "dd") return new DdFlatWriter(options);
  return PythonFlatWriter.open(options, options.method.interpreter);
}

class DdFlatWriter implements FlatFileWriter {
  readonly #options: OpenFlatWriterOptions;
  constructor(options: OpenFlatWriterOptions) {
    this.#options = options;
  }

  async write(_lane: number, offsetBytes: number, data: Uint8Array): Promise<void> {
    const { blockBytes, path, session, signal } = this.#options;
    if (offsetBytes % blockBytes !== 0) throw new HostWriteError(path, `offset ${offsetBytes} is not a multiple of ${blockBytes}`);
    const command = sh`dd of=${path} bs=${blockBytes} seek=${offsetBytes / blockBytes} conv=notrunc`;
    await session.exec(command, { stdin: Buffer.from(data.buffer, data.byteOffset, data.byteLength), signal });
  }

  async writeZeros(_lane: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    const { blockBytes, path, session, signal } = this.#options;
    if (offsetBytes % blockBytes !== 0) throw new HostWriteError(path, `offset ${offsetBytes} is not a multiple of ${blockBytes}`);
    // Whole blocks from /dev/zero, then the tail (a disk's last chunk may be short) from a second dd.
    const blocks = Math.floor(lengthBytes / blockBytes);
    const tail = lengthBytes - blocks * blockBytes;
    if (blocks > 0) await session.exec(sh`dd if=/dev/zero of=${path} bs=${blockBytes} seek=${offsetBytes / blockBytes} count=${blocks} conv=notrunc`, { signal });
    if (tail > 0) await this.write(0, offsetBytes + blocks * blockBytes, new Uint8Array(tail));
  }

  async close(): Promise<void> {}
  async abandon(): Promise<void> {}
}

interface PythonChannel {
  stdin: PassThrough;
  exec: StreamingExec;
  output: Promise<string>;
  /** Rejects when the writer ends before `close` asked it to. */
  endedEarly: Promise<never>;
  frames: number;
  bytes: number;
}

class PythonFlatWriter implements FlatFileWriter {
  readonly #path: string;
  readonly #channels: PythonChannel[];
  /** Set once `close` or `abandon` ended the input: the writers ending is then expected. */
  closing = false;

  private constructor(path: string) {
    this.#path = path;
    this.#channels = [];
  }

  static async open(options: OpenFlatWriterOptions, interpreter: string): Promise<PythonFlatWriter> {
    const writer = new PythonFlatWriter(options.path);
    try {
      for (let i = 0; i < options.channels; i++) {
        const stdin = new PassThrough({ highWaterMark: WRITER_BUFFER_BYTES });
        const exec = await options.session.execStream(shellCommand([interpreter, "-c", FLAT_WRITER_PYTHON_SCRIPT, options.path]), { stdin, signal: options.signal });
        const output = collect(exec);
        output.catch(() => undefined);
        const endedEarly = exec.result.then(
          () => {
            if (!writer.closing) throw new HostWriteError(options.path, "the writer on the host ended before its input did");
            return new Promise<never>(() => undefined);
          },
          (error: unknown) => {
            throw new HostWriteError(options.path, error instanceof Error ? error.message : String(error), { cause: error });
          },
        );
        endedEarly.catch(() => undefined);
        writer.#channels.push({ stdin, exec, output, endedEarly, frames: 0, bytes: 0 });
      }
    } catch (error) {
      await writer.abandon();
      throw error;
    }
    return writer;
  }

  async write(lane: number, offsetBytes: number, data: Uint8Array): Promise<void> {
    await this.#frame(lane, offsetBytes, data.byteLength, data);
  }

  async writeZeros(lane: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    await this.#frame(lane, offsetBytes, lengthBytes, undefined);
  }

  /** One frame, header and bytes written to the channel together; `data` undefined: zeros made on the host. */
  async #frame(lane: number, offsetBytes: number, lengthBytes: number, data: Uint8Array | undefined): Promise<void> {
    const channel = this.#channels[lane % this.#channels.length] as PythonChannel;
    const header = Buffer.alloc(16);
    header.writeBigUInt64BE(BigInt(offsetBytes), 0);
    header.writeBigUInt64BE(BigInt(lengthBytes) + (data === undefined ? ZERO_FLAG : 0n), 8);
    let more = channel.stdin.write(header);
    if (data !== undefined) more = channel.stdin.write(data);
    channel.frames += 1;
    channel.bytes += lengthBytes;
    if (!more) await Promise.race([new Promise((resolve) => channel.stdin.once("drain", resolve)), channel.endedEarly]);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const channel of this.#channels) channel.stdin.end();
    await Promise.all(
      this.#channels.map(async (channel) => {
        const output = await Promise.race([channel.output, channel.endedEarly]);
        await channel.exec.result;
        const expected = `written ${channel.frames} ${channel.bytes}`;
        if (output.trim() !== expected) throw new HostWriteError(this.#path, `the writer reported ${JSON.stringify(output.trim())}, expected ${JSON.stringify(expected)}`);
      }),
    );
  }

  async abandon(): Promise<void> {
    this.closing = true;
    for (const channel of this.#channels) {
      channel.stdin.destroy();
      channel.exec.stdout.destroy();
    }
    await Promise.all(this.#channels.map((channel) => channel.exec.result.catch(() => undefined)));
  }
}

async function collect(exec: StreamingExec): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of exec.stdout) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString("utf8");
}
