/**
 * Where one writer's chunks go. Each distinct chunk is stored once: a chunk already in the repository is
 * touched (its mtime renewed, so gc sees it in use) instead of written; a new one is written through a
 * `WriteBatch` and becomes durable at the next flush. Flushes happen every `flushEveryBytes`, once the
 * oldest chunk not yet durable is `flushAfterMs` old, and always before the point is published. Chunks
 * taken over from the base point are touched only when asked (`touchTakenOver`): in a version-2
 * repository gc keeps them through the writer lock instead. Just before
 * publishing, the writer confirms from its indexes that no chunk the point references was removed
 * meanwhile (docs/repository-format.md §9). Only chunks in flight or written since the last flush are
 * remembered, so memory does not grow with the disk.
 */
import type { ChunkDigest, Clock } from "@esxbackup/domain";
import type { BlobStore, WriteBatch } from "./blob-store.js";
import type { FixedIndex } from "./fixed-index.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { chunkKey } from "./repository-layout.js";
import { runLimited } from "./run-limited.js";

export interface WriteStats {
  /** Bytes of chunk files written (after compression and encryption). */
  bytesStored: number;
  chunksStored: number;
  /** Plaintext bytes of chunks found already stored. */
  bytesDeduplicated: number;
  chunksDeduplicated: number;
  /** Bytes of chunks written that were all zero (not stored). */
  bytesSkippedZero: number;
  /**
   * Bytes taken over from the previous point's index without being read, zero chunks included; a chunk
   * written after all counts as what the write found instead, so every byte of a disk is counted once.
   */
  bytesTakenOver: number;
}

export const emptyWriteStats = (): WriteStats => ({
  bytesStored: 0,
  chunksStored: 0,
  bytesDeduplicated: 0,
  chunksDeduplicated: 0,
  bytesSkippedZero: 0,
  bytesTakenOver: 0,
});

const SETTLED = Promise.resolve();
const CONFIRM_SLICE_CHUNKS = 4096;
const DEFAULT_FLUSH_EVERY_BYTES = 256 * 1024 * 1024;
/**
 * A backup that stores little (an incremental: a few hundred chunks over its whole run) never fills a
 * window, so without an age limit every fsync, rename and folder fsync would wait for the end, where they
 * hold up publishing: seconds on a slow disk or a NAS share, where each is a round trip. A first backup
 * fills its windows by size long before this.
 */
const DEFAULT_FLUSH_AFTER_MS = 2000;
const TOUCH_PARALLELISM = 64;

export class ChunkSink {
  readonly stats: WriteStats = emptyWriteStats();
  readonly #store: BlobStore;
  readonly #clock: Clock;
  readonly #batch: WriteBatch;
  readonly #flushEveryBytes: number;
  readonly #flushAfterMs: number;
  /** When the oldest chunk not yet being flushed was written (clock ms); undefined when there is none. */
  #windowOpenedMs: number | undefined;
  /**
   * Every chunk this writer has stored or reused, with the promise of that being done: `SETTLED` once it
   * is, so a chunk costs one map entry, not a promise and its callbacks (a disk has millions of chunks).
   */
  readonly #known = new Map<ChunkDigest, Promise<void>>();
  /** Chunks written since the last flush: not yet under their names, so a repeat must not touch-test them. */
  #unflushed: ChunkDigest[] = [];
  /** New chunks a caller has claimed and not yet stored or abandoned. */
  readonly #claimed = new Map<ChunkDigest, Deferred>();
  #unflushedBytes = 0;
  #flushing: Promise<void> = Promise.resolve();
  #windowFlush: Promise<void> | undefined;
  #failure: unknown;

  readonly #touchTakenOver: boolean;

  constructor(store: BlobStore, clock: Clock, options: { flushEveryBytes?: number; flushAfterMs?: number; touchTakenOver?: boolean } = {}) {
    this.#store = store;
    this.#touchTakenOver = options.touchTakenOver ?? true;
    this.#clock = clock;
    this.#batch = store.batch();
    this.#flushEveryBytes = options.flushEveryBytes ?? DEFAULT_FLUSH_EVERY_BYTES;
    this.#flushAfterMs = options.flushAfterMs ?? DEFAULT_FLUSH_AFTER_MS;
  }

  /** Whether a window is being made durable now (started by size or by age). */
  get flushing(): boolean {
    return this.#windowFlush !== undefined;
  }

  /**
   * Stores `bytes` as chunk `digest` unless it is already there. Resolves when it is written (not yet
   * durable): true when this call stored it, false when it was there already (deduplicated).
   */
  async put(digest: ChunkDigest, bytes: Uint8Array, plainBytes: number): Promise<boolean> {
    const claim = await this.claim(digest, plainBytes);
    if (claim.supply) await this.store(digest, bytes);
    else await claim.stored;
    return claim.supply;
  }

  /**
   * Decides whether the caller must supply chunk `digest`. `supply: true`: it is new, and the caller must
   * `store` or `abandon` it. Otherwise it is stored already, or being stored by another caller: `stored`
   * settles when it is (counted as deduplicated then). A claim never waits for another caller's chunk, so
   * callers that claim several chunks before storing theirs cannot wait on each other; they await the
   * `stored` promises only after storing their own. Lets a writer compress and encrypt only new chunks.
   */
  async claim(digest: ChunkDigest, plainBytes: number): Promise<{ supply: true } | { supply: false; stored: Promise<void> }> {
    const known = this.#known.get(digest);
    if (known !== undefined) return { supply: false, stored: known.then(() => this.#countDeduplicated(plainBytes)) };
    const pending = deferred();
    this.#known.set(digest, pending.promise);
    this.#claimed.set(digest, pending);
    try {
      if (await this.#store.touch(chunkKey(digest), this.#clock.now())) {
        // Under its name already: a later repeat finds it again with one touch, nothing kept here.
        this.#claimed.delete(digest);
        this.#known.delete(digest);
        this.#countDeduplicated(plainBytes);
        pending.resolve();
        return { supply: false, stored: SETTLED };
      }
      return { supply: true };
    } catch (error) {
      this.abandon(digest, error);
      throw error;
    }
  }

  /** Writes a chunk this caller claimed. Resolves when it is written (not yet durable). */
  async store(digest: ChunkDigest, bytes: Uint8Array): Promise<void> {
    const pending = this.#claimed.get(digest);
    if (pending === undefined) throw new Error(`chunk ${digest} was not claimed`);
    this.#claimed.delete(digest);
    try {
      // Once one write failed the point cannot be published: writing more would only fill the disk.
      this.#throwIfFailed();
      await this.#makeRoom(bytes.byteLength);
      await this.#batch.write(chunkKey(digest), bytes);
      this.stats.bytesStored += bytes.byteLength;
      this.stats.chunksStored += 1;
      this.#known.set(digest, SETTLED);
      this.#unflushed.push(digest);
      this.#flushIfWindowOld();
      pending.resolve();
    } catch (error) {
      this.#failure ??= error;
      pending.reject(error);
      throw error;
    }
  }

  /** Gives up a claimed chunk the caller cannot supply: whoever waits on it fails with `error`. */
  abandon(digest: ChunkDigest, error: unknown): void {
    const pending = this.#claimed.get(digest);
    if (pending === undefined) return;
    this.#claimed.delete(digest);
    this.#failure ??= error;
    pending.reject(error);
  }

  /** Whether chunks taken over from the base point must be touched (`adopt`) rather than trusted. */
  get touchesTakenOver(): boolean {
    return this.#touchTakenOver;
  }

  /**
   * Takes over chunks from a previous index by touching each; returns those that no longer exist (they must
   * be read again). Zero digests must not be passed.
   */
  async adopt(digests: readonly ChunkDigest[]): Promise<Set<ChunkDigest>> {
    const missing = new Set<ChunkDigest>();
    const fresh = digests.filter((digest) => !this.#known.has(digest));
    const at = this.#clock.now();
    await runLimited(fresh, TOUCH_PARALLELISM, async (digest) => {
      if (!(await this.#store.touch(chunkKey(digest), at))) missing.add(digest);
    });
    return missing;
  }

  /** Makes every chunk written so far durable. */
  async flush(): Promise<void> {
    this.#throwIfFailed();
    this.#unflushedBytes = 0;
    this.#windowOpenedMs = undefined;
    const flushed = this.#unflushed;
    this.#unflushed = [];
    this.#flushing = this.#flushing.then(() => this.#batch.flush());
    await this.#flushing;
    // Durable under their names now: a repeat finds them with a touch.
    for (const digest of flushed) if (this.#known.get(digest) === SETTLED) this.#known.delete(digest);
  }

  /**
   * Throws a `RepositoryFileError` naming the first chunk referenced by `indexes` that has disappeared.
   * `touch` also renews each one's mtime (for a gc that may be sweeping without knowing this writer); call
   * it under the mutex. Chunks this writer stored are checked too: they exist, and touching them is
   * harmless. Read from the indexes a slice at a time, so nothing is kept per chunk.
   */
  async confirmReferenced(indexes: readonly FixedIndex[], options: { touch: boolean }): Promise<void> {
    this.#throwIfFailed();
    const at = this.#clock.now();
    const confirm = async (digest: ChunkDigest): Promise<void> => {
      const present = options.touch ? await this.#store.touch(chunkKey(digest), at) : (await this.#store.stat(chunkKey(digest))) !== undefined;
      if (!present) {
        throw new RepositoryFileError(
          "missing",
          this.#store.locate(chunkKey(digest)),
          "was removed while the backup ran (a concurrent gc?); nothing was published, run the backup again",
        );
      }
    };
    for (const index of indexes) {
      for (let first = 0; first < index.chunkCount; first += CONFIRM_SLICE_CHUNKS) {
        const digests = new Set<ChunkDigest>();
        for (let chunk = first; chunk < Math.min(index.chunkCount, first + CONFIRM_SLICE_CHUNKS); chunk += 1) {
          if (!index.isZero(chunk)) digests.add(index.get(chunk));
        }
        await runLimited([...digests], TOUCH_PARALLELISM, confirm);
      }
    }
  }

  async discard(): Promise<void> {
    await this.#flushing.catch(() => undefined);
    await this.#batch.discard();
  }

  #countDeduplicated(plainBytes: number): void {
    this.stats.bytesDeduplicated += plainBytes;
    this.stats.chunksDeduplicated += 1;
  }

  /**
   * Back-pressure: once `flushEveryBytes` are written but not durable, every new write waits for one shared
   * flush, so however many chunks are in flight at most about two windows are lost to a crash.
   */
  async #makeRoom(bytes: number): Promise<void> {
    while (this.#unflushedBytes >= this.#flushEveryBytes) await this.#flushWindow();
    // Reserved in the same turn as the check, so waiters woken together do not all pass at once.
    this.#unflushedBytes += bytes;
  }

  /** Starts a window's flush in the background once its oldest chunk is `flushAfterMs` old. */
  #flushIfWindowOld(): void {
    const now = this.#clock.now().getTime();
    this.#windowOpenedMs ??= now;
    if (this.#windowFlush !== undefined || now - this.#windowOpenedMs < this.#flushAfterMs) return;
    // Nobody awaits it: its failure is kept as the writer's, and the next store, or the commit, throws it.
    this.#flushWindow().catch(() => undefined);
  }

  /** The one flush of the current window, shared by everyone who waits for room meanwhile. */
  #flushWindow(): Promise<void> {
    this.#windowFlush ??= this.flush()
      .catch((error: unknown) => {
        this.#failure ??= error;
        throw error;
      })
      .finally(() => {
        this.#windowFlush = undefined;
      });
    return this.#windowFlush;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A claim nobody else waits on may be abandoned: that rejection is reported to the claimer, not here.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
