/**
 * Writes one new recovery point: any number of disks (`openDisk`), then `commit` publishes it atomically
 * or `abort` leaves nothing visible. Protocol and invariants: docs/repository-format.md §9. Holds a writer
 * lock, naming the base point, from `begin` until commit/abort returns; the caller must call one of them.
 *
 * In a version-2 repository chunks taken over from the base are neither touched nor re-checked: gc keeps
 * them because it marks the base of every live writer. Only when a gc may have run without seeing this
 * writer (its lock was live at registration, or one started since) are all reused chunks touched and
 * confirmed under the mutex before publishing. A version-1 repository keeps the version-1 rule: touch
 * every reused chunk when it is reused, confirm all of them under the mutex.
 */
import { randomBytes } from "node:crypto";
import { EsxbackupError } from "@esxbackup/domain";
import type { PointId, RecoveryPoint, RecoveryPointVm, VmConfigFile } from "@esxbackup/domain";
import { ChunkSink } from "./chunk-sink.js";
import type { WriteStats } from "./chunk-sink.js";
import { DiskWriter } from "./disk-writer.js";
import type { OpenDiskOptions } from "./disk-writer.js";
import { EnvelopeKind } from "./envelope.js";
import { NoSuchPointError } from "./no-such-point-error.js";
import { encodeManifest } from "./point-manifest.js";
import { appendPointsLog } from "./points-log.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { fingerprintsKey, indexKey, manifestKey, pointIndexesFolder } from "./repository-layout.js";
import { RepositoryLock, observeGc } from "./repository-lock.js";
import { withMutex } from "./repository-mutex.js";

export interface BeginPointOptions {
  vm: RecoveryPointVm;
  host: string;
  tags?: string[];
  configFiles?: VmConfigFile[];
  /** The point to take unchanged chunks from. */
  previousPointId?: PointId;
  /** Flush (fsync) new chunks every this many stored bytes; default 256 MiB. */
  flushEveryBytes?: number;
}

export class PointWriter {
  readonly pointId: PointId;
  readonly #repository: Repository;
  readonly #options: BeginPointOptions;
  readonly #lock: RepositoryLock;
  readonly #sink: ChunkSink;
  readonly #previous: RecoveryPoint | undefined;
  readonly #disks: DiskWriter[] = [];
  readonly #gcAtStart: { lastRun: string; gcLockPresent: boolean };
  readonly #gcAware: boolean;
  #state: "open" | "committed" | "aborted" = "open";

  private constructor(
    repository: Repository,
    pointId: PointId,
    options: BeginPointOptions,
    lock: RepositoryLock,
    previous: RecoveryPoint | undefined,
    gcAtStart: { lastRun: string; gcLockPresent: boolean },
  ) {
    this.#repository = repository;
    this.#options = options;
    this.#lock = lock;
    this.#previous = previous;
    this.#gcAtStart = gcAtStart;
    this.#gcAware = repository.config.formatVersion >= 2;
    this.pointId = pointId;
    this.#sink = new ChunkSink(repository.store, repository.clock, {
      touchTakenOver: !this.#gcAware || gcAtStart.gcLockPresent,
      ...(options.flushEveryBytes === undefined ? {} : { flushEveryBytes: options.flushEveryBytes }),
    });
  }

  /**
   * Registers the writer under the mutex: reads the base point's manifest, observes gc, then creates the
   * writer lock naming the base. A prune is thus either entirely before (the base is gone: refused) or
   * sees the lock (and keeps the base's indexes for gc to mark).
   */
  static async begin(repository: Repository, options: BeginPointOptions): Promise<PointWriter> {
    const store = repository.store;
    const clock = repository.clock;
    return withMutex(store, repository, async (held) => {
      let previous: RecoveryPoint | undefined;
      if (options.previousPointId !== undefined) {
        if (!(await repository.hasPoint(options.previousPointId))) {
          throw new NoSuchPointError("previous point", [options.previousPointId]);
        }
        previous = await repository.readPoint(options.previousPointId);
      }
      // yyyymmddThhmmssmmmZ: ids sort by creation time. Named in the lock, so that gc leaves this point's
      // index folder alone while it has no manifest yet.
      const pointId = `${clock.now().toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}` as PointId;
      const lock = await RepositoryLock.acquire(store, "writer", repository, { pointId, ...(previous === undefined ? {} : { basePointId: previous.pointId }) });
      // Looked at after the lock exists: a gc that listed writers before our lock had created its own lock
      // and marker before that, so we see its lock (still running) or it has finished. Either a gc sees
      // us or we see it; looked at before the lock, a gc starting in between would do neither, and the
      // backup would fail at publication if that gc removed a chunk it takes over.
      let gcAtStart: { lastRun: string; gcLockPresent: boolean };
      try {
        gcAtStart = await observeGc(store, repository);
        // Still ours: nobody entered since the base was checked, so no prune removed it in between.
        await held.confirm();
      } catch (error) {
        await lock.release();
        throw error;
      }
      return new PointWriter(repository, pointId, options, lock, previous, gcAtStart);
    });
  }

  get stats(): WriteStats {
    return this.#sink.stats;
  }

  get previous(): RecoveryPoint | undefined {
    return this.#previous;
  }

  /** Opens the next disk; with a previous point, unchanged chunks are taken over from its matching disk. */
  async openDisk(options: OpenDiskOptions): Promise<DiskWriter> {
    this.#checkOpen();
    const writer = new DiskWriter(this.#disks.length, options, this.#repository.chunkSizeBytes, this.#repository.codec, this.#sink);
    this.#disks.push(writer);
    const previousKey = options.previousDiskKey === undefined ? options.key : options.previousDiskKey;
    const previousDisk = previousKey === null ? undefined : this.#previous?.disks.find((disk) => disk.key === previousKey);
    if (this.#previous !== undefined && previousDisk !== undefined) {
      await writer.takeOver(await this.#repository.readIndex(this.#previous.pointId, previousDisk.index, previousDisk.sizeBytes));
    }
    return writer;
  }

  /**
   * Publishes the point; on any failure nothing is published and the partial work is removed.
   * `beforePublish`: a condition settled while the chunks and indexes are made durable (a backup's snapshot
   * being removed from its host); the point is published only once it resolves, and its rejection is
   * thrown as it is, nothing published.
   */
  async commit(options: { beforePublish?: Promise<unknown> } = {}): Promise<RecoveryPoint> {
    this.#checkOpen();
    const repository = this.#repository;
    const store = repository.store;
    // Its outcome is read after the flush; a rejection meanwhile is not an unhandled one.
    const condition = options.beforePublish?.then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    try {
      const disks = this.#disks.map((disk) => disk.finish());
      await this.#sink.flush();
      const metadata = store.batch();
      for (const disk of this.#disks) {
        const index = indexKey(this.pointId, disk.diskIndex);
        await metadata.write(index, repository.sealEnvelope(EnvelopeKind.index, disk.index.encode(), index));
        const fingerprints = disk.fingerprints;
        if (fingerprints !== undefined) {
          const header = Buffer.alloc(4);
          header.writeUInt32LE(fingerprints.info.digestLengthBytes, 0);
          const file = fingerprintsKey(this.pointId, disk.diskIndex);
          await metadata.write(file, repository.sealEnvelope(EnvelopeKind.fingerprints, Buffer.concat([header, fingerprints.data]), file));
        }
      }
      await metadata.flush();
      const refused = await condition;
      if (refused !== undefined) throw new PublishConditionFailed(refused.error);
      const point: RecoveryPoint = {
        pointId: this.pointId,
        createdAt: repository.clock.now(),
        vm: { ...this.#options.vm },
        host: this.#options.host,
        chunkSizeBytes: repository.chunkSizeBytes,
        tags: [...(this.#options.tags ?? [])],
        configFiles: [...(this.#options.configFiles ?? [])],
        disks,
      };
      if (this.#previous !== undefined) point.previousPointId = this.#previous.pointId;
      await withMutex(store, repository, async (held) => {
        const indexes = this.#disks.map((disk) => disk.index);
        if (!this.#gcAware) {
          await this.#sink.confirmReferenced(indexes, { touch: false });
        } else {
          const gcNow = await observeGc(store, repository);
          const gcMayNotKnowUs = this.#gcAtStart.gcLockPresent || gcNow.gcLockPresent || gcNow.lastRun !== this.#gcAtStart.lastRun;
          if (gcMayNotKnowUs) await this.#sink.confirmReferenced(indexes, { touch: true });
        }
        // Publishing is safe only if nobody entered the mutex since we looked (a gc deleting) and our writer
        // lock was never judged dead (then gc did not keep our base or our index folder).
        await held.confirm();
        await this.#lock.confirm();
        const manifest = manifestKey(this.pointId);
        await store.write(manifest, repository.sealEnvelope(EnvelopeKind.manifest, encodeManifest(point), manifest));
        // Published: from here on nothing may undo the point. Its record follows (version 3); a writer dying
        // in between leaves its lock naming the point, and the next append records it (points-log.ts). A
        // record that cannot be written (a full disk) leaves the point for verify to report as unrecorded.
        this.#state = "committed";
        await appendPointsLog(repository, "published", this.pointId).catch(() => undefined);
      });
      await this.#lock.release();
      return point;
    } catch (error) {
      await this.abort();
      if (error instanceof PublishConditionFailed) throw error.reason;
      if (error instanceof EsxbackupError) throw error;
      throw new RepositoryFileError("io", store.locate(manifestKey(this.pointId)), `publishing point failed: ${String(error)}`, { cause: error });
    }
  }

  /** Removes everything this writer wrote that is not shared; idempotent. Chunks already renamed into place stay (gc's job). */
  async abort(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    for (const disk of this.#disks) disk.abort();
    try {
      await this.#sink.discard();
      await this.#repository.store.remove(pointIndexesFolder(this.pointId));
    } finally {
      await this.#lock.release();
    }
  }

  #checkOpen(): void {
    if (this.#state !== "open") throw new EsxbackupError("writer_closed", `point ${this.pointId} is already ${this.#state}`);
  }
}

/** Carries the rejection of `commit`'s `beforePublish` past its own error handling, to be thrown as it was. */
class PublishConditionFailed extends Error {
  constructor(readonly reason: unknown) {
    super("the condition to publish failed");
  }
}
