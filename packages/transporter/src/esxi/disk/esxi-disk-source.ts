/**
 * The `DiskSource` of a VM's disk on an ESXi host: the frozen base extent (`…-flat.vmdk`) of a disk under
 * the run's snapshot, read over SSH with nothing installed on the host (docs/adr/0024).
 *
 * - `fingerprint` lets the host hash its own disk (esxi/hashing, docs/adr/0019): the disk split into parts,
 *   up to `channels` hashed at once by the host's Python or its busybox applets, all-zero blocks marked by
 *   the host and never read. Each command's output is read as it comes and handed on 1024 blocks at a time,
 *   so the backup reads their changed blocks while the host hashes the rest (docs/adr/0028). Under a
 *   host read limit the parts are about a second at the limit each, and each waits for its bytes before
 *   its command starts (docs/adr/0035). A host that can hash neither way (or not in the kind asked
 *   for) has its disk read and hashed here instead: slower, never wrong.
 * - `openChannels(N)` gives N logical channels over at most `channels` host readers (a long-lived Python
 *   reader each, else `dd` per read); logical channels beyond that share readers in turn. Every logical
 *   channel has its own buffer (shared memory, so worker threads read it in place), so a view stays valid
 *   until that channel reads again. Opened with `fingerprints`, the Python readers fingerprint what they
 *   read and leave out the all-zero blocks: a disk's first backup reads the disk once (docs/adr/0038).
 *
 * The disk must not change while it is read: the caller holds the run's snapshot for the source's life.
 */
import { Readable } from "node:stream";
import { fingerprintBlockCount } from "@esxbackup/domain";
import type { ChangeFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import { FingerprintHasher } from "@esxbackup/repository";
import { BlockFingerprintTable } from "../../backup/block-fingerprint-table.js";
import type { DiskChannels, DiskSource, FingerprintOptions, RangeFingerprints, SourceFingerprints } from "../../backup/disk-source.js";
import { RUN_BYTES } from "../../backup/read-runs.js";
import type { TransferRateLimiter } from "../../transfer/transfer-rate-limiter.js";
import { pythonBlockHashCommand, shellBlockHashCommand } from "../hashing/block-hash-command.js";
import type { BlockHashRequest } from "../hashing/block-hash-request.js";
import type { HashingMethod } from "../hashing/hashing-method.js";
import { joinHostBlockHashes, splitDiskForHashing } from "../hashing/host-disk-hashing.js";
import type { HostDiskKind } from "../hashing/host-disk-hashing.js";
import { hashPartCount } from "../hashing/host-fingerprint-kind.js";
import { parseBlockHashOutput } from "../hashing/parse-block-hash-output.js";
import type { HostBlockHashes } from "../hashing/parse-block-hash-output.js";
import { EsxiSshError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { READER_READ_BYTES } from "./disk-read-python-script.js";
import { openHostDiskReader } from "./host-disk-reader.js";
import type { DiskReadMechanism, HostDiskReader } from "./host-disk-reader.js";

/**
 * Lines of a hash command's output handed on at once (the host's script writes 256 at a time, 16 MiB of disk
 * at 64 KiB blocks): the changed blocks of a piece are read and rebuilt while the host hashes on, so what is
 * left after the last piece is small. With 1024, the bench's incremental took 5.86–6.31 s, about 1 s of it
 * after the hash pass; with 256, 5.32–5.36 s and 0.56–0.66 s; with 128 no faster (bench/README.md).
 */
export const HASH_PIECE_LINES = 256;
/** A hash command may print nothing for this long (a slow disk, 256 large blocks) before it is given up. */
const HASH_IDLE_TIMEOUT_MS = 10 * 60_000;
const HASH_ATTEMPTS = 3;

function countLines(text: string, through: number): number {
  let lines = 0;
  for (let at = text.indexOf("\n"); at >= 0 && at <= through; at = text.indexOf("\n", at + 1)) lines += 1;
  return lines;
}

/** Host readers per disk unless told otherwise (docs/adr/0024: measured). */
export const DEFAULT_DISK_READ_CHANNELS = 4;

export interface EsxiDiskSourceOptions {
  session: Pick<EsxiSshSession, "exec" | "execStream" | "label">;
  /** Host path of the base extent, `/vmfs/volumes/<datastore>/<vm>/<disk>-flat.vmdk`. */
  path: string;
  /** The point's name for the disk: the base descriptor's file name (`web01.vmdk`). */
  name: string;
  sizeBytes: number;
  /** How the host hashes (chooseHashingMethod) and how it reads (Python reader or dd). */
  hashing: HashingMethod;
  reading: DiskReadMechanism;
  /** Host readers and parallel hash commands at most (default DEFAULT_DISK_READ_CHANNELS). */
  channels?: number;
  /** Called when a read is tried again after a dropped connection or a stalled channel. */
  onRetry?: (reason: string) => void;
  /** The run's limits, each paced by what a read costs it (`SourceLimits`). Absent: no limit. */
  limits?: SourceLimits;
}

/**
 * The run's bandwidth limit (`wire`, docs/adr/0032) and its limit on what the host reads from its datastore
 * (`hostRead`, docs/adr/0035), each one limiter shared by every channel, disk and VM of the run; a wait
 * ends when `signal` aborts. What each read costs them:
 * - a data read of N bytes: N on the wire, then N on the host, before it is asked (the wire's first, so the
 *   host reads the moment its limiter lets it);
 * - a fingerprinted read of N bytes (a disk's first backup read once, docs/adr/0038): the host reads all N,
 *   taken before it is asked; the wire carries only the blocks that are not all zero, paid for once they
 *   are in (the zero blocks cost the wire nothing, as when the hash pass finds them);
 * - a part of the hash pass: its bytes on the host before its command starts, the parts about a second at
 *   the host's rate each (hashPartCount); the hash commands' output is not paced.
 * A read or part tried again after a dropped connection is not paced again.
 */
export interface SourceLimits {
  wire?: Pick<TransferRateLimiter, "take">;
  hostRead?: Pick<TransferRateLimiter, "bytesPerSecond" | "take">;
  signal: AbortSignal;
}

export class EsxiDiskSource implements DiskSource {
  readonly label: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly #options: EsxiDiskSourceOptions;
  readonly #channels: number;

  constructor(options: EsxiDiskSourceOptions) {
    this.#options = options;
    this.label = `${options.session.label}:${options.path}`;
    this.name = options.name;
    this.sizeBytes = options.sizeBytes;
    this.#channels = options.channels ?? DEFAULT_DISK_READ_CHANNELS;
    if (!Number.isInteger(this.#channels) || this.#channels < 1) throw new RangeError(`channels must be a whole number >= 1 (got ${this.#channels})`);
  }

  async openChannels(channels: number, maxReadBytes: number, options: { fingerprints?: ChangeFingerprints } = {}): Promise<DiskChannels> {
    const kind = options.fingerprints;
    if (kind !== undefined && !this.fingerprintsWhileReading(kind)) throw new Error(`${this.label}: the host's readers cannot fingerprint ${kind.algorithm} per ${kind.blockSizeBytes} bytes as they read`);
    return this.#openChannels(channels, maxReadBytes, new AbortController().signal, kind === undefined ? undefined : { algorithm: kind.algorithm as FingerprintAlgorithm, blockSizeBytes: kind.blockSizeBytes });
  }

  /**
   * The host's Python readers can hash what they read with the algorithm its hash pass uses; under the
   * run's limits too, each read paced by what it costs them (`SourceLimits`).
   */
  fingerprintsWhileReading(kind: ChangeFingerprints): boolean {
    const { hashing, reading } = this.#options;
    return hashing.kind === "python" && reading.kind === "python" && hashing.algorithm === kind.algorithm && kind.blockSizeBytes <= RUN_BYTES;
  }

  async fingerprint(kind: ChangeFingerprints, options: FingerprintOptions): Promise<SourceFingerprints> {
    const method = this.#options.hashing;
    const algorithm = kind.algorithm as FingerprintAlgorithm;
    if (method.kind === "full-read" || method.algorithm !== algorithm) return this.#fingerprintHere(kind, options);
    const hostKind = { algorithm, blockSizeBytes: kind.blockSizeBytes };
    const lanes = Math.max(1, Math.min(this.#channels, options.lanes ?? this.#channels));
    const limiter = this.#options.limits?.hostRead;
    const parts = splitDiskForHashing(this.#options.path, this.sizeBytes, hostKind, hashPartCount(this.sizeBytes, kind.blockSizeBytes, lanes, limiter?.bytesPerSecond));
    const pieces: { request: BlockHashRequest; hashes: HostBlockHashes }[] = [];
    let next = 0;
    let bytesDone = 0;
    const lane = async (): Promise<void> => {
      while (next < parts.length) {
        options.signal.throwIfAborted();
        const part = parts[next++] as BlockHashRequest;
        // The host reads every byte of the part, zero and unchanged blocks too.
        if (limiter !== undefined) await limiter.take(part.lengthBytes, options.signal);
        await this.#hashPart(part, method, options.signal, (piece) => {
          pieces.push(piece);
          bytesDone += piece.request.lengthBytes;
          options.onProgress(bytesDone);
          options.onPart?.({ offsetBytes: piece.request.offsetBytes, lengthBytes: piece.request.lengthBytes, digests: piece.hashes.digests, zeroBlocks: piece.hashes.zeroBlocks });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, parts.length) }, lane));
    return joinHostBlockHashes(this.sizeBytes, hostKind, pieces.sort((a, b) => a.request.offsetBytes - b.request.offsetBytes));
  }

  /**
   * Hashes one part with one command whose output is read as it comes: every `HASH_PIECE_LINES` lines are
   * handed on as a piece, so the backup can read their changed blocks while the host hashes on (ADR 28).
   * A hash is a read: after a dropped connection the command runs again on a new one, for the blocks not
   * handed on yet, up to 3 tries.
   */
  async #hashPart(part: BlockHashRequest, method: Extract<HashingMethod, { kind: "python" | "busybox" }>, signal: AbortSignal, onPiece: (piece: { request: BlockHashRequest; hashes: HostBlockHashes }) => void): Promise<void> {
    const block = part.blockSizeBytes;
    let doneBlocks = 0;
    for (let attempt = 1; ; attempt++) {
      const rest: BlockHashRequest = { ...part, offsetBytes: part.offsetBytes + doneBlocks * block, lengthBytes: part.lengthBytes - doneBlocks * block };
      const restBlocks = fingerprintBlockCount(rest.lengthBytes, block);
      let restDone = 0;
      const hand = (text: string, lines: number, last: boolean): void => {
        const offsetBytes = rest.offsetBytes + restDone * block;
        const request = { ...rest, offsetBytes, lengthBytes: last ? rest.offsetBytes + rest.lengthBytes - offsetBytes : lines * block };
        const hashes = parseBlockHashOutput(text, request);
        restDone += lines;
        doneBlocks += lines;
        onPiece({ request, hashes });
      };
      try {
        const command = method.kind === "python" ? pythonBlockHashCommand(rest, method.command) : shellBlockHashCommand(rest);
        const run = await this.#options.session.execStream(command.command, {
          ...(command.stdin === undefined ? {} : { stdin: Readable.from([command.stdin]) }),
          signal,
          idleTimeoutMs: HASH_IDLE_TIMEOUT_MS,
        });
        run.result.catch(() => undefined);
        let pending = "";
        for await (const chunk of run.stdout as AsyncIterable<Buffer>) {
          pending += chunk.toString("latin1");
          const end = pending.lastIndexOf("\n");
          if (end < 0) continue;
          const lines = countLines(pending, end);
          // Whole lines only, never the last ones (they are checked with the command's end).
          if (lines >= HASH_PIECE_LINES && restDone + lines < restBlocks) {
            hand(pending.slice(0, end + 1), lines, false);
            pending = pending.slice(end + 1);
          }
        }
        await run.result;
        hand(pending, restBlocks - restDone, true);
        return;
      } catch (error) {
        const retry = error instanceof EsxiSshError && error.retryable && attempt < HASH_ATTEMPTS && !signal.aborted;
        if (!retry) throw error;
        this.#options.onRetry?.(error.message);
      }
    }
  }

  async close(): Promise<void> {}

  /** The disk read whole over the channels and hashed here: for hosts that cannot hash as asked. */
  async #fingerprintHere(kind: ChangeFingerprints, options: FingerprintOptions): Promise<SourceFingerprints> {
    const table = new BlockFingerprintTable(kind, this.sizeBytes);
    const hasher = new FingerprintHasher(kind.algorithm as FingerprintAlgorithm, kind.blockSizeBytes);
    const step = Math.max(kind.blockSizeBytes, Math.floor(RUN_BYTES / kind.blockSizeBytes) * kind.blockSizeBytes);
    const channels = await this.#openChannels(this.#channels, step, options.signal);
    let nextOffset = 0;
    let bytesDone = 0;
    const lane = async (channel: number): Promise<void> => {
      while (nextOffset < this.sizeBytes) {
        const offset = nextOffset;
        const length = Math.min(step, this.sizeBytes - offset);
        nextOffset += length;
        const data = Buffer.from(await channels.read(channel, offset, length));
        table.record(offset, (await hasher.hash(data)).digests);
        bytesDone += length;
        options.onProgress(bytesDone);
      }
    };
    try {
      await Promise.all(Array.from({ length: this.#channels }, (_, channel) => lane(channel)));
    } finally {
      await channels.close();
      await hasher.close();
    }
    return { fingerprints: table.toDiskFingerprints(), zeroBlocks: new Uint8Array(fingerprintBlockCount(this.sizeBytes, kind.blockSizeBytes)) };
  }

  async #openChannels(channels: number, maxReadBytes: number, signal: AbortSignal, fingerprints?: HostDiskKind): Promise<DiskChannels> {
    const readerCount = Math.max(1, Math.min(channels, this.#channels));
    const limits = this.#options.limits;
    // Taken before a read is asked: all it reads on the host, and on the wire what a plain read sends.
    const wireBefore = fingerprints === undefined ? limits?.wire : undefined;
    const beforeRead =
      limits === undefined || (wireBefore === undefined && limits.hostRead === undefined)
        ? undefined
        : async (bytes: number): Promise<void> => {
            await wireBefore?.take(bytes, limits.signal);
            await limits.hostRead?.take(bytes, limits.signal);
          };
    // Paid as each piece of a fingerprinted read is in: what crossed the wire, its zero blocks left out.
    const wireAfter = fingerprints === undefined ? undefined : limits?.wire;
    const payWire = wireAfter === undefined || limits === undefined ? undefined : (bytesSent: number): Promise<void> => wireAfter.take(bytesSent, limits.signal);
    const readers: HostDiskReader[] = Array.from({ length: readerCount }, () =>
      openHostDiskReader({
        session: this.#options.session,
        path: this.#options.path,
        label: this.label,
        mechanism: this.#options.reading,
        signal,
        ...(this.#options.onRetry === undefined ? {} : { onRetry: this.#options.onRetry }),
        ...(beforeRead === undefined ? {} : { beforeRead }),
        ...(fingerprints === undefined ? {} : { fingerprints }),
      }),
    );
    // One read at a time per reader: logical channels sharing a reader queue behind each other.
    const queues: Promise<unknown>[] = readers.map(() => Promise.resolve());
    // Shared memory: the pipeline hands a read to worker threads (hashing, compression), and a view of shared
    // memory is shared with them, where a whole ArrayBuffer would be transferred away and leave the channel
    // without its buffer.
    const buffers = Array.from({ length: channels }, () => Buffer.from(new SharedArrayBuffer(maxReadBytes)));
    const sizeBytes = this.sizeBytes;
    const label = this.label;
    const turn = async (channel: number, offsetBytes: number, lengthBytes: number): Promise<{ target: Buffer; found: RangeFingerprints | undefined }> => {
      const buffer = buffers[channel];
      if (buffer === undefined || lengthBytes > buffer.length || offsetBytes % 4096 !== 0 || (lengthBytes % 4096 !== 0 && offsetBytes + lengthBytes !== sizeBytes) || offsetBytes + lengthBytes > sizeBytes) {
        throw new RangeError(`${label}: read of ${lengthBytes} bytes at ${offsetBytes} on channel ${channel} is outside what was opened (${buffers.length} channels of ${maxReadBytes} bytes, 4096-byte aligned, on a ${sizeBytes}-byte disk)`);
      }
      const index = channel % readerCount;
      const reader = readers[index] as HostDiskReader;
      const target = buffer.subarray(0, lengthBytes);
      const read = (queues[index] as Promise<unknown>).then(() => (fingerprints === undefined ? reader.read(offsetBytes, target) : readFingerprintedPieces(reader, offsetBytes, target, fingerprints, payWire)));
      queues[index] = read.catch(() => undefined);
      return { target, found: await read };
    };
    return {
      async read(channel, offsetBytes, lengthBytes) {
        if (fingerprints !== undefined) throw new Error(`${label}: channels opened to fingerprint are read with readFingerprinted`);
        return (await turn(channel, offsetBytes, lengthBytes)).target;
      },
      ...(fingerprints === undefined
        ? {}
        : {
            async readFingerprinted(channel: number, offsetBytes: number, lengthBytes: number) {
              if (offsetBytes % fingerprints.blockSizeBytes !== 0) throw new RangeError(`${label}: a fingerprinted read starts on a block (${fingerprints.blockSizeBytes} bytes), not at ${offsetBytes}`);
              const { target, found } = await turn(channel, offsetBytes, lengthBytes);
              return { data: target, ...(found as RangeFingerprints) };
            },
          }),
      async close() {
        await Promise.all(readers.map((reader) => reader.close()));
      },
    };
  }
}

/**
 * A fingerprinted read longer than the host's reader answers at once (a repository's chunks may be up to
 * 16 MiB): asked in pieces of at most `READER_READ_BYTES`, one after the other on the same reader, and
 * their fingerprints joined. The pieces are whole blocks, so each starts on one. `paid`: told the bytes
 * each piece carried once it is in (the wire's limit), before the next piece is asked.
 */
async function readFingerprintedPieces(reader: HostDiskReader, offsetBytes: number, target: Buffer, kind: HostDiskKind, paid?: (bytesSent: number) => Promise<void>): Promise<RangeFingerprints> {
  const pieceBytes = Math.max(kind.blockSizeBytes, Math.floor(READER_READ_BYTES / kind.blockSizeBytes) * kind.blockSizeBytes);
  const pieces: RangeFingerprints[] = [];
  for (let at = 0; at < target.length; at += pieceBytes) {
    const found = await reader.read(offsetBytes + at, target.subarray(at, Math.min(target.length, at + pieceBytes)));
    if (found === undefined) throw new Error("the host's reader gave no fingerprints");
    await paid?.(found.bytesSent);
    pieces.push(found);
  }
  if (pieces.length === 1) return pieces[0] as RangeFingerprints;
  return {
    digests: Buffer.concat(pieces.map((piece) => piece.digests)),
    zeroBlocks: Buffer.concat(pieces.map((piece) => piece.zeroBlocks)),
    bytesSent: pieces.reduce((sum, piece) => sum + piece.bytesSent, 0),
  };
}
