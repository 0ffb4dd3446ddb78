/**
 * Writes one new recovery point: any number of disks (`openDisk`), then `commit` publishes it atomically
 * or `abort` leaves nothing visible. Protocol and invariants: docs/repository-format.md §9. Holds a writer
 * lock from `beginPoint` until commit/abort returns; the caller must call one of them.
 */
import { randomBytes } from "node:crypto";
import { EsxbackupError, InvalidInputError } from "@esxbackup/domain";
import type { PointId, RecoveryPoint, RecoveryPointVm, VmConfigFile } from "@esxbackup/domain";
import { ChunkSink } from "./chunk-sink.js";
import type { WriteStats } from "./chunk-sink.js";
import { DiskWriter } from "./disk-writer.js";
import type { OpenDiskOptions } from "./disk-writer.js";
import { EnvelopeKind } from "./envelope.js";
import { encodeManifest } from "./point-manifest.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { fingerprintsKey, indexKey, manifestKey, pointIndexesFolder } from "./repository-layout.js";
import { RepositoryLock, withMutex } from "./repository-lock.js";

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
  #state: "open" | "committed" | "aborted" = "open";

  private constructor(repository: Repository, options: BeginPointOptions, lock: RepositoryLock, previous: RecoveryPoint | undefined) {
    this.#repository = repository;
    this.#options = options;
    this.#lock = lock;
    this.#previous = previous;
    const now = repository.clock.now();
    // yyyymmddThhmmssmmmZ: ids sort by creation time.
    this.pointId = `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}` as PointId;
    this.#sink = new ChunkSink(repository.store, repository.clock, options.flushEveryBytes === undefined ? {} : { flushEveryBytes: options.flushEveryBytes });
  }

  /** Takes the writer lock first, then reads the previous point (so gc keeps what it references). */
  static async begin(repository: Repository, options: BeginPointOptions): Promise<PointWriter> {
    const lock = await RepositoryLock.acquire(repository.store, "writer", repository.clock);
    try {
      let previous: RecoveryPoint | undefined;
      if (options.previousPointId !== undefined) {
        if (!(await repository.hasPoint(options.previousPointId))) {
          throw new InvalidInputError("previous point", `${options.previousPointId} does not exist in ${repository.store.locate("points")}`);
        }
        previous = await repository.readPoint(options.previousPointId);
      }
      return new PointWriter(repository, options, lock, previous);
    } catch (error) {
      await lock.release();
      throw error;
    }
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

  /** Publishes the point; on any failure nothing is published and the partial work is removed. */
  async commit(): Promise<RecoveryPoint> {
    this.#checkOpen();
    const repository = this.#repository;
    const store = repository.store;
    try {
      const disks = this.#disks.map((disk) => disk.finish());
      await this.#sink.flush();
      const metadata = store.batch();
      for (const disk of this.#disks) {
        await metadata.write(indexKey(this.pointId, disk.diskIndex), repository.sealEnvelope(EnvelopeKind.index, disk.index.encode()));
        const fingerprints = disk.fingerprints;
        if (fingerprints !== undefined) {
          const header = Buffer.alloc(4);
          header.writeUInt32LE(fingerprints.info.digestLengthBytes, 0);
          await metadata.write(fingerprintsKey(this.pointId, disk.diskIndex), repository.sealEnvelope(EnvelopeKind.fingerprints, Buffer.concat([header, fingerprints.data])));
        }
      }
      await metadata.flush();
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
      await withMutex(store, repository.clock, async () => {
        await this.#sink.checkReusedStillExist();
        await store.write(manifestKey(this.pointId), repository.sealEnvelope(EnvelopeKind.manifest, encodeManifest(point)));
      });
      this.#state = "committed";
      await this.#lock.release();
      return point;
    } catch (error) {
      await this.abort();
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
