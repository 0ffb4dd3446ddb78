/**
 * Reads one disk of a published point: by byte range, or as a stream of the whole disk. Every chunk is
 * checked against its digest as it is read; zero chunks are produced without touching the store. Reads
 * only this point's index and the chunks it names.
 */
import { Readable } from "node:stream";
import { EsxbackupError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import type { FixedIndex } from "./fixed-index.js";
import type { Repository } from "./repository.js";
import { runLimited } from "./run-limited.js";

const DEFAULT_READ_AHEAD = 8;
/**
 * Chunks one `readInto` reads at once, whatever the range's length: enough to keep the store busy, few
 * enough that several ranges in flight hold only their targets and a handful of chunks.
 */
export const CHUNKS_IN_FLIGHT_PER_RANGE = 4;

export interface DiskReaderOptions {
  /**
   * Decode chunks on this thread instead of the repository's codec workers. Pays for a reader that hands
   * its ranges to another thread anyway (the fingerprint hasher, when a previous point is hashed again):
   * decoding is cheap next to hashing, and every chunk sent to a worker leaves a copy there that its
   * collector frees late — about 50 MiB per worker thread at any moment over a long read (bench/README.md,
   * "re-hash").
   */
  decodeInline?: boolean;
}

export class DiskReader {
  readonly index: FixedIndex;
  readonly #repository: Repository;
  readonly #decodeInline: boolean;

  private constructor(repository: Repository, index: FixedIndex, options: DiskReaderOptions) {
    this.#repository = repository;
    this.index = index;
    this.#decodeInline = options.decodeInline === true;
  }

  static async open(repository: Repository, pointId: PointId, diskIndex: number, options: DiskReaderOptions = {}): Promise<DiskReader> {
    const point = await repository.readPoint(pointId);
    const disk = point.disks[diskIndex];
    if (disk === undefined) {
      throw new EsxbackupError("no_such_disk", `point ${pointId} has ${point.disks.length} disk(s); there is no disk ${diskIndex}`);
    }
    return new DiskReader(repository, await repository.readIndex(pointId, diskIndex, disk.sizeBytes), options);
  }

  get sizeBytes(): number {
    return this.index.diskSizeBytes;
  }

  /** The plaintext of chunk `chunk`, or undefined for an all-zero chunk (nothing stored). */
  async readChunkOrZero(chunk: number): Promise<Buffer | undefined> {
    if (this.index.isZero(chunk)) return undefined;
    return this.#repository.readChunk(this.index.get(chunk), this.index.chunkLength(chunk), { inline: this.#decodeInline });
  }

  async readChunk(chunk: number): Promise<Buffer> {
    return (await this.readChunkOrZero(chunk)) ?? Buffer.alloc(this.index.chunkLength(chunk));
  }

  /** `lengthBytes` bytes from `offsetBytes`, which must lie within the disk, in a buffer of their own. */
  async readRange(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    this.#checkRange(offsetBytes, lengthBytes);
    const target = Buffer.allocUnsafeSlow(lengthBytes);
    await this.readInto(offsetBytes, target);
    return target;
  }

  /**
   * Fills `target` with the disk's bytes from `offsetBytes` (the range must lie within the disk), reading
   * at most CHUNKS_IN_FLIGHT_PER_RANGE chunks at once and zero chunks not at all. What a read holds besides
   * `target` is those few chunks, however long the range: a caller that reuses its targets reads a whole
   * disk in constant memory.
   */
  async readInto(offsetBytes: number, target: Uint8Array): Promise<void> {
    const lengthBytes = target.byteLength;
    this.#checkRange(offsetBytes, lengthBytes);
    if (lengthBytes === 0) return;
    const size = this.index.chunkSizeBytes;
    const endBytes = offsetBytes + lengthBytes;
    const first = Math.floor(offsetBytes / size);
    const chunks = Array.from({ length: Math.floor((endBytes - 1) / size) - first + 1 }, (_, i) => first + i);
    await runLimited(chunks, CHUNKS_IN_FLIGHT_PER_RANGE, async (chunk) => {
      const chunkStart = chunk * size;
      const from = Math.max(offsetBytes, chunkStart);
      const to = Math.min(endBytes, chunkStart + this.index.chunkLength(chunk));
      const plain = await this.readChunkOrZero(chunk);
      if (plain === undefined) target.fill(0, from - offsetBytes, to - offsetBytes);
      else target.set(plain.subarray(from - chunkStart, to - chunkStart), from - offsetBytes);
    });
  }

  /** Whether every chunk the range touches is a zero chunk (nothing stored): known without reading. */
  isZeroRange(offsetBytes: number, lengthBytes: number): boolean {
    this.#checkRange(offsetBytes, lengthBytes);
    const size = this.index.chunkSizeBytes;
    for (let chunk = Math.floor(offsetBytes / size); chunk * size < offsetBytes + lengthBytes; chunk += 1) if (!this.index.isZero(chunk)) return false;
    return true;
  }

  #checkRange(offsetBytes: number, lengthBytes: number): void {
    if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new EsxbackupError("invalid_range", `bytes ${offsetBytes}+${lengthBytes} are outside the ${this.sizeBytes}-byte disk`);
    }
  }

  /** The whole disk, in order, reading `readAhead` chunks ahead in parallel. */
  stream(options: { readAhead?: number } = {}): Readable {
    const readAhead = options.readAhead ?? DEFAULT_READ_AHEAD;
    const index = this.index;
    const readChunk = (chunk: number): Promise<Buffer> => this.readChunk(chunk);
    async function* chunks(): AsyncGenerator<Buffer> {
      const inFlight: Promise<Buffer>[] = [];
      let next = 0;
      while (next < index.chunkCount || inFlight.length > 0) {
        while (next < index.chunkCount && inFlight.length < readAhead) {
          const promise = readChunk(next);
          promise.catch(() => undefined);
          inFlight.push(promise);
          next += 1;
        }
        yield await (inFlight.shift() as Promise<Buffer>);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }
}
