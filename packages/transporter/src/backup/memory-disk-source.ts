/**
 * Test support: a disk held in memory that behaves as a host's disk read over SSH channels does —
 * fingerprints computed where the disk is, all-zero blocks marked, reads over numbered channels with at
 * most one in flight each — and records every read, so tests can count what crossed "the wire". Reads
 * must be 4 KiB aligned (the last may end at the disk's end), as the port requires of every source. And a
 * repository in memory to back it up into.
 */
import { createHash } from "node:crypto";
import { fingerprintBlockCount } from "@esxbackup/domain";
import type { ChangeFingerprints } from "@esxbackup/domain";
import { MemoryBlobStore, Repository } from "@esxbackup/repository";
import type { DiskChannels, DiskSource, FingerprintOptions, SourceFingerprints } from "./disk-source.js";

const ALIGNMENT_BYTES = 4096;

export interface MemoryDiskWatcher {
  /** Called when channels open and close: tells tests how many disks are being read at once. */
  opened?(source: MemoryDiskSource): void;
  closed?(source: MemoryDiskSource): void;
}

/** How a memory disk reports its fingerprints in parts, as a host hashing in parallel commands does. */
export interface MemoryHashParts {
  /** Bytes per part (a whole number of blocks). */
  bytes: number;
  /** The order the parts are reported in: disk order, or last first. */
  order?: "forward" | "reverse";
  /** Reports the last part only once something was read: proves reads do not wait for the whole disk. */
  lastAfterFirstRead?: boolean;
  /** Fails instead of reporting this part (0-based, in reporting order). */
  failAtPart?: number;
}

export class MemoryDiskSource implements DiskSource {
  readonly label: string;
  readonly name: string;
  readonly reads: { channel: number; offsetBytes: number; lengthBytes: number }[] = [];
  maxChannels = 0;
  /** Fails the read that would make this many reads (for a source that breaks mid-backup). */
  failAtRead: number | undefined;
  /** The signal of the last `fingerprint` call: tests check that a failed backup stops the hashing. */
  fingerprintSignal: AbortSignal | undefined;
  /** The lanes the last `fingerprint` call asked for. */
  fingerprintLanes: number | undefined;
  readonly #busy = new Set<number>();
  readonly #watcher: MemoryDiskWatcher | undefined;
  readonly #hashParts: MemoryHashParts | undefined;
  readonly #firstRead: { promise: Promise<void>; resolve: () => void };

  constructor(
    readonly data: Buffer,
    options: { name?: string; watcher?: MemoryDiskWatcher; hashParts?: MemoryHashParts } = {},
  ) {
    this.name = options.name ?? "disk-flat.vmdk";
    this.label = `memory disk ${this.name}`;
    this.#watcher = options.watcher;
    this.#hashParts = options.hashParts;
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((done) => (resolve = done));
    this.#firstRead = { promise, resolve };
  }

  get sizeBytes(): number {
    return this.data.byteLength;
  }

  /** Bytes asked for over all reads. */
  get bytesRequested(): number {
    return this.reads.reduce((sum, read) => sum + read.lengthBytes, 0);
  }

  async openChannels(channels: number): Promise<DiskChannels> {
    this.maxChannels = channels;
    this.#watcher?.opened?.(this);
    return {
      read: async (channel, offsetBytes, lengthBytes) => {
        if (!(channel >= 0 && channel < channels)) throw new Error(`channel ${channel} of ${channels}`);
        if (this.#busy.has(channel)) throw new Error(`a second read on channel ${channel} while one is in flight`);
        const end = offsetBytes + lengthBytes;
        if (offsetBytes % ALIGNMENT_BYTES !== 0 || (lengthBytes % ALIGNMENT_BYTES !== 0 && end !== this.sizeBytes) || lengthBytes <= 0 || end > this.sizeBytes) {
          throw new Error(`read of ${lengthBytes} bytes at ${offsetBytes} is not 4 KiB aligned within the ${this.sizeBytes}-byte disk`);
        }
        this.#busy.add(channel);
        await Promise.resolve();
        this.#busy.delete(channel);
        if (this.failAtRead !== undefined && this.reads.length + 1 >= this.failAtRead) throw new Error(`${this.label}: connection lost`);
        this.reads.push({ channel, offsetBytes, lengthBytes });
        this.#firstRead.resolve();
        return Buffer.from(this.data.subarray(offsetBytes, end));
      },
      close: async () => {
        this.#watcher?.closed?.(this);
      },
    };
  }

  async fingerprint(kind: ChangeFingerprints, options?: FingerprintOptions): Promise<SourceFingerprints> {
    this.fingerprintSignal = options?.signal;
    this.fingerprintLanes = options?.lanes;
    const block = kind.blockSizeBytes;
    const count = fingerprintBlockCount(this.sizeBytes, block);
    const digests = Buffer.alloc(count * kind.digestLengthBytes);
    const zeroBlocks = new Uint8Array(count);
    for (let index = 0; index < count; index += 1) {
      const bytes = this.data.subarray(index * block, (index + 1) * block);
      createHash(kind.algorithm).update(bytes).digest().copy(digests, index * kind.digestLengthBytes);
      zeroBlocks[index] = bytes.every((byte) => byte === 0) ? 1 : 0;
    }
    const parts = this.#hashParts;
    if (parts !== undefined && options?.onPart !== undefined) {
      if (parts.bytes % block !== 0) throw new Error(`parts of ${parts.bytes} bytes are not whole ${block}-byte blocks`);
      const offsets = Array.from({ length: Math.ceil(this.sizeBytes / parts.bytes) }, (_, part) => part * parts.bytes);
      if (parts.order === "reverse") offsets.reverse();
      for (const [k, offsetBytes] of offsets.entries()) {
        // Each part is reported in a later turn, as a host's output would arrive.
        await new Promise<void>((resolve) => setImmediate(resolve));
        options.signal.throwIfAborted();
        if (k === parts.failAtPart) throw new Error(`${this.label}: the hash command failed`);
        if (k === offsets.length - 1 && parts.lastAfterFirstRead === true) await this.#firstRead.promise;
        const lengthBytes = Math.min(parts.bytes, this.sizeBytes - offsetBytes);
        const first = offsetBytes / block;
        const blocks = fingerprintBlockCount(lengthBytes, block);
        options.onPart({
          offsetBytes,
          lengthBytes,
          digests: digests.subarray(first * kind.digestLengthBytes, (first + blocks) * kind.digestLengthBytes),
          zeroBlocks: zeroBlocks.subarray(first, first + blocks),
        });
      }
    }
    return { fingerprints: { ...kind, sizeBytes: this.sizeBytes, digests }, zeroBlocks };
  }

  async close(): Promise<void> {}
}

/** Bytes that differ every 32 bytes, so no two chunks of a disk (or of two seeds) deduplicate. */
export function pattern(sizeBytes: number, seed: number): Buffer {
  const data = Buffer.alloc(sizeBytes);
  for (let offset = 0; offset < sizeBytes; offset += 32) createHash("sha256").update(`${seed}:${offset}`).digest().copy(data, offset);
  return data;
}

/** Runs `run` against a fresh repository held in memory, closed afterwards whatever happens. */
export async function withMemoryRepository(chunkSizeBytes: number, run: (repository: Repository) => Promise<void>, options: { formatVersion?: number } = {}): Promise<void> {
  const repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes, threads: 1, ...options });
  try {
    await run(repository);
  } finally {
    await repository.close();
  }
}
