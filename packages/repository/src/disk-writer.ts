/**
 * Writes one disk of a new point. It starts from the previous point's index when there is one: every chunk
 * not rewritten keeps its previous digest without being read ("taken over"). Chunks may be written in any
 * order and concurrently (several workers reading different ranges); the result is the same index.
 * `chunksToRead` tells the caller which chunks it must supply. Finished by its `PointWriter`'s commit.
 */
import { CHUNK_DIGEST_BYTES, EsxbackupError, chunksOverlapping } from "@esxbackup/domain";
import type { ByteRange, ChangeFingerprints, ChunkDigest, DiskGeometry, RecoveryPointDisk } from "@esxbackup/domain";
import type { ChunkCodecPool } from "./chunk-codec-pool.js";
import { emptyWriteStats } from "./chunk-sink.js";
import type { ChunkSink, WriteStats } from "./chunk-sink.js";
import { FixedIndex } from "./fixed-index.js";

export interface OpenDiskOptions {
  /** The disk's place in the VM, e.g. "scsi0:0"; also how the previous point's disk is found. */
  key: string;
  /** File name on the datastore, e.g. "web01.vmdk". */
  name: string;
  sizeBytes: number;
  geometry?: DiskGeometry;
  adapterType?: string;
  /** The previous point's disk to take unchanged chunks from: its key (default `key`), or null for none. */
  previousDiskKey?: string | null;
}

const NOT_SET = 0;
const SET = 1;
/** Set from the previous point and counted in `bytesTakenOver`, until the caller writes it after all. */
const TAKEN_OVER = 2;

export class DiskWriter {
  readonly diskIndex: number;
  readonly options: OpenDiskOptions;
  readonly index: FixedIndex;
  readonly #codec: ChunkCodecPool;
  readonly #sink: ChunkSink;
  readonly #state: Uint8Array;
  /**
   * This disk's share of its point writer's stats (which sum every disk's): disks of one point may be written
   * at once, each reporting its own counters. A chunk another disk of the point stored counts here as
   * deduplicated.
   */
  readonly stats: WriteStats = emptyWriteStats();
  #fingerprints: { info: ChangeFingerprints; data: Buffer } | undefined;
  #closed = false;

  constructor(diskIndex: number, options: OpenDiskOptions, chunkSizeBytes: number, codec: ChunkCodecPool, sink: ChunkSink) {
    if (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes < 0) {
      throw new EsxbackupError("invalid_disk", `disk ${options.key}: size ${options.sizeBytes} is not a byte count`);
    }
    this.diskIndex = diskIndex;
    this.options = options;
    this.index = new FixedIndex(options.sizeBytes, chunkSizeBytes);
    this.#codec = codec;
    this.#sink = sink;
    this.#state = new Uint8Array(this.index.chunkCount);
  }

  get chunkCount(): number {
    return this.index.chunkCount;
  }

  get chunkSizeBytes(): number {
    return this.index.chunkSizeBytes;
  }

  /**
   * Takes over every chunk of `previous` that covers the same bytes (a chunk whose length changed, at the old
   * end of a resized disk, is not). Chunks missing from the repository are not taken over: they will be read.
   */
  async takeOver(previous: FixedIndex): Promise<void> {
    const shared = Math.min(previous.chunkCount, this.chunkCount);
    if (!this.#sink.touchesTakenOver) {
      // Trusted (version 2, no gc seen at start): entries are copied as bytes, with no I/O and nothing
      // remembered per chunk.
      for (let chunk = 0; chunk < shared; chunk += 1) {
        if (previous.chunkLength(chunk) !== this.index.chunkLength(chunk)) continue;
        const start = chunk * CHUNK_DIGEST_BYTES;
        previous.digests.copy(this.index.digests, start, start, start + CHUNK_DIGEST_BYTES);
        this.#takeOver(chunk);
      }
      return;
    }
    const candidates: number[] = [];
    const digests = new Set<ChunkDigest>();
    for (let chunk = 0; chunk < shared; chunk += 1) {
      if (previous.chunkLength(chunk) !== this.index.chunkLength(chunk)) continue;
      candidates.push(chunk);
      if (!previous.isZero(chunk)) digests.add(previous.get(chunk));
    }
    const missing = await this.#sink.adopt([...digests]);
    for (const chunk of candidates) {
      if (previous.isZero(chunk)) {
        this.index.setZero(chunk);
      } else {
        const digest = previous.get(chunk);
        if (missing.has(digest)) continue;
        this.index.set(chunk, digest);
      }
      this.#takeOver(chunk);
    }
  }

  /**
   * Every byte of the disk is counted once: taken over (zero or not), or, when the caller writes the chunk
   * after all (a full re-read), as what that write found (new, deduplicated or zero).
   */
  #takeOver(chunk: number): void {
    this.#sink.stats.bytesTakenOver += this.index.chunkLength(chunk);
    this.stats.bytesTakenOver += this.index.chunkLength(chunk);
    this.#state[chunk] = TAKEN_OVER;
  }

  #set(chunk: number): void {
    if (this.#state[chunk] === TAKEN_OVER) {
      this.#sink.stats.bytesTakenOver -= this.index.chunkLength(chunk);
      this.stats.bytesTakenOver -= this.index.chunkLength(chunk);
    }
    this.#state[chunk] = SET;
  }

  /**
   * The chunks the caller must write: those overlapping `changed` plus those not taken over; every chunk
   * when `changed` is undefined (a full read; unchanged chunks are then deduplicated, not stored again).
   */
  chunksToRead(changed?: readonly ByteRange[]): number[] {
    if (changed === undefined) return Array.from({ length: this.chunkCount }, (_, chunk) => chunk);
    const selected = new Set(chunksOverlapping(changed, this.chunkSizeBytes, this.options.sizeBytes));
    for (let chunk = 0; chunk < this.chunkCount; chunk += 1) if (this.#state[chunk] === NOT_SET) selected.add(chunk);
    return [...selected].sort((a, b) => a - b);
  }

  /** Byte length of chunk `chunk` (the last may be short). */
  chunkLength(chunk: number): number {
    return this.index.chunkLength(chunk);
  }

  /** Stores chunk `chunk` (its whole content). Safe to call concurrently for different chunks. */
  async writeChunk(chunk: number, data: Uint8Array): Promise<void> {
    if (this.#closed) throw new EsxbackupError("writer_closed", `disk ${this.options.key}: the writer is already committed or aborted`);
    if (!Number.isInteger(chunk) || chunk < 0 || chunk >= this.chunkCount) {
      throw new EsxbackupError("invalid_chunk", `disk ${this.options.key}: chunk ${chunk} is outside 0..${this.chunkCount - 1}`);
    }
    const expected = this.index.chunkLength(chunk);
    if (data.byteLength !== expected) {
      throw new EsxbackupError("invalid_chunk", `disk ${this.options.key}: chunk ${chunk} must be ${expected} bytes (got ${data.byteLength})`);
    }
    const encoded = await this.#codec.encode(data);
    if (encoded.zero) {
      this.index.setZero(chunk);
      this.#sink.stats.bytesSkippedZero += expected;
      this.stats.bytesSkippedZero += expected;
    } else {
      if (await this.#sink.put(encoded.digest, encoded.bytes, expected)) this.#countStored(encoded.bytes.byteLength);
      else this.#countDeduplicated(expected);
      this.index.set(chunk, encoded.digest);
    }
    this.#set(chunk);
  }

  /**
   * Records `count` consecutive chunks from `firstChunk` as all zero, which the caller knows them to be
   * (its source said so): what `writeChunks` of zeros would record, without zeros to make, hand to a worker
   * and hash. A full backup of a disk with gigabytes of zeros made and hashed a zero-filled buffer per run
   * of them (1.26 GB on the transporter bench's disk).
   */
  writeZeroChunks(firstChunk: number, count: number): void {
    if (this.#closed) throw new EsxbackupError("writer_closed", `disk ${this.options.key}: the writer is already committed or aborted`);
    const lastChunk = firstChunk + count - 1;
    if (!Number.isInteger(firstChunk) || !Number.isInteger(count) || firstChunk < 0 || count < 1 || lastChunk >= this.chunkCount) {
      throw new EsxbackupError("invalid_chunk", `disk ${this.options.key}: chunks ${firstChunk}..${lastChunk} are outside 0..${this.chunkCount - 1}`);
    }
    for (let chunk = firstChunk; chunk <= lastChunk; chunk += 1) {
      const length = this.index.chunkLength(chunk);
      this.index.setZero(chunk);
      this.#sink.stats.bytesSkippedZero += length;
      this.stats.bytesSkippedZero += length;
      this.#set(chunk);
    }
  }

  /**
   * Stores the consecutive chunks `firstChunk`, `firstChunk + 1`, … that `data` holds, read in one piece
   * (whole chunks; the disk's last chunk may end it). `data` may be handed to a worker thread without a
   * copy: the caller must not use it afterwards. A view of shared memory is read in place by the workers
   * and may be filled again once the promise settles. Safe to call concurrently for disjoint runs.
   */
  async writeChunks(firstChunk: number, data: Uint8Array): Promise<void> {
    if (this.#closed) throw new EsxbackupError("writer_closed", `disk ${this.options.key}: the writer is already committed or aborted`);
    const chunkBytes = this.chunkSizeBytes;
    const count = Math.ceil(data.byteLength / chunkBytes);
    const lastChunk = firstChunk + count - 1;
    if (!Number.isInteger(firstChunk) || firstChunk < 0 || count === 0 || lastChunk >= this.chunkCount) {
      throw new EsxbackupError("invalid_chunk", `disk ${this.options.key}: chunks ${firstChunk}..${lastChunk} are outside 0..${this.chunkCount - 1}`);
    }
    const expected = (count - 1) * chunkBytes + this.index.chunkLength(lastChunk);
    if (data.byteLength !== expected) {
      throw new EsxbackupError("invalid_chunk", `disk ${this.options.key}: chunks ${firstChunk}..${lastChunk} must be ${expected} bytes (got ${data.byteLength})`);
    }
    // Hash first, compress and encrypt only what the repository lacks: a full re-read of a disk that has
    // barely changed then costs little more than hashing it.
    const hashed = await this.#codec.digestRun(data, chunkBytes);
    const needed: number[] = [];
    // Chunks stored already, or being stored by another run (or earlier in this one): awaited last, after
    // this run has stored its own, so runs never wait on each other in a circle.
    const elsewhere: { position: number; stored: Promise<void> }[] = [];
    const claims = await Promise.allSettled(
      hashed.digests.map(async (digest, position) => {
        const chunk = firstChunk + position;
        if (digest === null) {
          this.index.setZero(chunk);
          this.#sink.stats.bytesSkippedZero += this.index.chunkLength(chunk);
          this.stats.bytesSkippedZero += this.index.chunkLength(chunk);
          this.#set(chunk);
          return;
        }
        const claim = await this.#sink.claim(digest, this.index.chunkLength(chunk));
        if (claim.supply) needed.push(position);
        else elsewhere.push({ position, stored: claim.stored });
      }),
    );
    const digestAt = (position: number): ChunkDigest => hashed.digests[position] as ChunkDigest;
    const settle = (position: number): void => {
      this.index.set(firstChunk + position, digestAt(position));
      this.#set(firstChunk + position);
    };
    const awaitElsewhere = (): Promise<unknown> => Promise.all(
        elsewhere.map(({ position, stored }) =>
          stored.then(() => {
            this.#countDeduplicated(this.index.chunkLength(firstChunk + position));
            settle(position);
          }),
        ),
      );
    const failed = claims.find((claim) => claim.status === "rejected");
    if (failed !== undefined) {
      // Chunks claimed here would never come: whoever waits for them must fail too, not wait forever.
      for (const position of needed) this.#sink.abandon(digestAt(position), failed.reason);
      throw failed.reason;
    }
    if (needed.length === 0) {
      await awaitElsewhere();
      return;
    }
    needed.sort((a, b) => a - b);
    let sealed: { envelopes: Buffer[]; buffer: Buffer };
    try {
      sealed = await this.#codec.sealRun(hashed.plain, chunkBytes, needed);
    } catch (error) {
      for (const position of needed) this.#sink.abandon(digestAt(position), error);
      throw error;
    }
    await Promise.all(
      needed.map(async (position, k) => {
        const envelope = sealed.envelopes[k] as Buffer;
        await this.#sink.store(digestAt(position), envelope);
        this.#countStored(envelope.byteLength);
        settle(position);
      }),
    );
    // Every envelope is written (stores keep no reference): the buffer can take the next run.
    this.#codec.recycle(sealed.buffer);
    await awaitElsewhere();
  }

  #countStored(bytes: number): void {
    this.stats.bytesStored += bytes;
    this.stats.chunksStored += 1;
  }

  #countDeduplicated(plainBytes: number): void {
    this.stats.bytesDeduplicated += plainBytes;
    this.stats.chunksDeduplicated += 1;
  }

  /** Records how changes were detected: one digest of `digestLengthBytes` per block, in disk order. */
  setFingerprints(info: ChangeFingerprints, data: Uint8Array): void {
    const expected = Math.ceil(this.options.sizeBytes / info.blockSizeBytes) * info.digestLengthBytes;
    if (data.byteLength !== expected) {
      throw new EsxbackupError("invalid_fingerprints", `disk ${this.options.key}: fingerprints must be ${expected} bytes (got ${data.byteLength})`);
    }
    this.#fingerprints = { info: { ...info }, data: Buffer.from(data) };
  }

  get fingerprints(): { info: ChangeFingerprints; data: Buffer } | undefined {
    return this.#fingerprints;
  }

  /** Closes the writer; throws naming the first chunks never written. */
  finish(): RecoveryPointDisk {
    this.#closed = true;
    const unset: number[] = [];
    let zeroChunkCount = 0;
    for (let chunk = 0; chunk < this.chunkCount; chunk += 1) {
      if (this.#state[chunk] === NOT_SET) unset.push(chunk);
      else if (this.index.isZero(chunk)) zeroChunkCount += 1;
    }
    if (unset.length > 0) {
      const first = unset.slice(0, 5).map((chunk) => `${chunk} (offset ${chunk * this.chunkSizeBytes})`);
      throw new EsxbackupError("disk_incomplete", `disk ${this.options.key}: ${unset.length} chunk(s) never written, e.g. ${first.join(", ")}`);
    }
    const disk: RecoveryPointDisk = {
      index: this.diskIndex,
      key: this.options.key,
      name: this.options.name,
      sizeBytes: this.options.sizeBytes,
      chunkCount: this.chunkCount,
      zeroChunkCount,
    };
    if (this.options.geometry !== undefined) disk.geometry = { ...this.options.geometry };
    if (this.options.adapterType !== undefined) disk.adapterType = this.options.adapterType;
    if (this.#fingerprints !== undefined) disk.fingerprints = this.#fingerprints.info;
    return disk;
  }

  abort(): void {
    this.#closed = true;
  }
}
