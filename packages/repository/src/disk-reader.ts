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

const DEFAULT_READ_AHEAD = 8;

export class DiskReader {
  readonly index: FixedIndex;
  readonly #repository: Repository;

  private constructor(repository: Repository, index: FixedIndex) {
    this.#repository = repository;
    this.index = index;
  }

  static async open(repository: Repository, pointId: PointId, diskIndex: number): Promise<DiskReader> {
    const point = await repository.readPoint(pointId);
    const disk = point.disks[diskIndex];
    if (disk === undefined) {
      throw new EsxbackupError("no_such_disk", `point ${pointId} has ${point.disks.length} disk(s); there is no disk ${diskIndex}`);
    }
    return new DiskReader(repository, await repository.readIndex(pointId, diskIndex, disk.sizeBytes));
  }

  get sizeBytes(): number {
    return this.index.diskSizeBytes;
  }

  /** The plaintext of chunk `chunk`, or undefined for an all-zero chunk (nothing stored). */
  async readChunkOrZero(chunk: number): Promise<Buffer | undefined> {
    if (this.index.isZero(chunk)) return undefined;
    return this.#repository.readChunk(this.index.get(chunk), this.index.chunkLength(chunk));
  }

  async readChunk(chunk: number): Promise<Buffer> {
    return (await this.readChunkOrZero(chunk)) ?? Buffer.alloc(this.index.chunkLength(chunk));
  }

  /** `lengthBytes` bytes from `offsetBytes`, which must lie within the disk. */
  async readRange(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new EsxbackupError("invalid_range", `bytes ${offsetBytes}+${lengthBytes} are outside the ${this.sizeBytes}-byte disk`);
    }
    if (lengthBytes === 0) return Buffer.alloc(0);
    const size = this.index.chunkSizeBytes;
    const first = Math.floor(offsetBytes / size);
    const last = Math.floor((offsetBytes + lengthBytes - 1) / size);
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.readChunk(first + i)));
    const joined = Buffer.concat(parts);
    const start = offsetBytes - first * size;
    return joined.subarray(start, start + lengthBytes);
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
