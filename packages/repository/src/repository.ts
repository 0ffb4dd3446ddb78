/**
 * An open repository: its configuration and keys, the store below it, and the codec pool that does the CPU
 * work. Reading is here; writing a point is `PointWriter` (begun with `beginPoint`), maintenance is in
 * verify-repository.ts, prune-points.ts, collect-garbage.ts and repository-stats.ts. The caller closes it.
 */
import { randomBytes } from "node:crypto";
import { InvalidInputError, systemClock, timerScheduler } from "@esxbackup/domain";
import type { ChunkDigest, Clock, PointId, RecoveryPoint, Scheduler } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { ChunkCodecPool } from "./chunk-codec-pool.js";
import { EnvelopeKind, openEnvelope, sealEnvelope } from "./envelope.js";
import { FixedIndex } from "./fixed-index.js";
import { DEFAULT_SCRYPT, unwrapMasterKey, wrapMasterKey } from "./key-file.js";
import type { KeyFile, ScryptParameters } from "./key-file.js";
import { decodeManifest } from "./point-manifest.js";
import { compressionLevelOf, newRepositoryConfig, readRepositoryConfig } from "./repository-config.js";
import type { RepositoryConfig } from "./repository-config.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { MASTER_KEY_BYTES, splitMasterKey } from "./repository-keys.js";
import type { RepositoryKeys } from "./repository-keys.js";
import {
  CHUNK_SUBFOLDERS,
  CHUNKS_FOLDER,
  CONFIG_KEY,
  KEYS_FOLDER,
  MANIFEST_SUFFIX,
  POINTS_FOLDER,
  SPACE_RESERVE_KEY,
  chunkKey,
  indexKey,
  keyFileKey,
  manifestKey,
} from "./repository-layout.js";
import { ensureSpaceReserve } from "./space-reserve.js";
import { WrongPassphraseError } from "./wrong-passphrase-error.js";

export interface OpenOptions {
  passphrase?: string;
  clock?: Clock;
  /** Timers (lock refreshes); default real timers. */
  scheduler?: Scheduler;
  /** Worker threads for chunk encoding/decoding; default one per core, 0 = inline. */
  threads?: number;
}

export interface InitOptions extends OpenOptions {
  chunkSizeBytes: number;
  /** Encrypt the repository with a key wrapped by `passphrase`. */
  encrypt?: boolean;
  scrypt?: ScryptParameters;
  /** Create an older format (for compatibility with older programs); default the newest. */
  formatVersion?: number;
  /** The zstd level writers use (1–19); default `DEFAULT_COMPRESSION_LEVEL`. */
  compressionLevel?: number;
}

const MAX_METADATA_BYTES = 1024 * 1024 * 1024;

export class Repository {
  readonly store: BlobStore;
  readonly config: RepositoryConfig;
  readonly keys: RepositoryKeys | undefined;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly #threads: number | undefined;
  #pool: ChunkCodecPool | undefined;

  private constructor(store: BlobStore, config: RepositoryConfig, keys: RepositoryKeys | undefined, options: OpenOptions) {
    this.store = store;
    this.config = config;
    this.keys = keys;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? timerScheduler;
    this.#threads = options.threads;
  }

  get chunkSizeBytes(): number {
    return this.config.chunkSizeBytes;
  }

  /** The codec pool, started on first use. */
  get codec(): ChunkCodecPool {
    this.#pool ??= new ChunkCodecPool(this.keys, {
      compressionLevel: compressionLevelOf(this.config),
      ...(this.#threads === undefined ? {} : { threads: this.#threads }),
    });
    return this.#pool;
  }

  /** Creates a repository in an empty store. Refuses a store that already holds one. */
  static async init(store: BlobStore, options: InitOptions): Promise<Repository> {
    const clock = options.clock ?? systemClock;
    if ((await store.stat(CONFIG_KEY)) !== undefined) {
      throw new InvalidInputError("repository", `${store.locate(CONFIG_KEY)} already exists: a repository is already there`);
    }
    const encrypt = options.encrypt === true;
    if (encrypt && (options.passphrase === undefined || options.passphrase === "")) {
      throw new InvalidInputError("passphrase", "an encrypted repository needs a passphrase (--password-file or ESXBACKUP_PASSWORD)");
    }
    const config = newRepositoryConfig({
      chunkSizeBytes: options.chunkSizeBytes,
      encrypted: encrypt,
      createdAt: clock.now(),
      ...(options.formatVersion === undefined ? {} : { formatVersion: options.formatVersion }),
      ...(options.compressionLevel === undefined ? {} : { compressionLevel: options.compressionLevel }),
    });
    let keys: RepositoryKeys | undefined;
    if (encrypt) {
      const master = randomBytes(MASTER_KEY_BYTES);
      const keyFile = await wrapMasterKey(master, options.passphrase as string, options.scrypt ?? DEFAULT_SCRYPT, clock.now());
      await store.write(keyFileKey(randomBytes(8).toString("hex")), Buffer.from(JSON.stringify(keyFile, null, 2)));
      keys = splitMasterKey(master);
    }
    // Chunk folders exist before the config: a store with a config is always complete.
    const marker = Buffer.alloc(0);
    const folders = store.batch();
    for (const sub of CHUNK_SUBFOLDERS) await folders.write(`${CHUNKS_FOLDER}/${sub}/.keep`, marker);
    for (const folder of ["points", "indexes", "locks"]) await folders.write(`${folder}/.keep`, marker);
    await folders.flush();
    if (!(await ensureSpaceReserve(store))) {
      throw new RepositoryFileError("io", store.locate(SPACE_RESERVE_KEY), "no space left on device (ENOSPC) for the space reserve prune and gc need on a full disk");
    }
    await store.write(CONFIG_KEY, Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
    return new Repository(store, config, keys, options);
  }

  static async open(store: BlobStore, options: OpenOptions = {}): Promise<Repository> {
    const config = await readRepositoryConfig(store);
    if (config.encryption === "none") return new Repository(store, config, undefined, options);
    if (options.passphrase === undefined || options.passphrase === "") {
      throw new InvalidInputError("passphrase", "the repository is encrypted: give --password-file or set ESXBACKUP_PASSWORD");
    }
    // A passphrase change writes the new key file, then removes the old ones: a file listed a moment ago may
    // be gone, its successor not yet listed. Then the folder is listed once more.
    for (let listing = 1; listing <= 2; listing += 1) {
      const names = (await store.list(KEYS_FOLDER)).filter((name) => name.endsWith(".json"));
      if (names.length === 0) throw new RepositoryFileError("missing", store.locate(KEYS_FOLDER), "holds no key file: the repository cannot be decrypted");
      let vanished = false;
      for (const name of names) {
        const key = `${KEYS_FOLDER}/${name}`;
        let master: Buffer | undefined;
        try {
          master = await unwrapMasterKey(JSON.parse((await store.read(key)).toString("utf8")) as KeyFile, options.passphrase);
        } catch (error) {
          if (error instanceof RepositoryFileError && error.problem === "missing") {
            vanished = true;
            continue;
          }
          throw new RepositoryFileError("corrupt", store.locate(key), `is not a valid key file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
        }
        if (master !== undefined) return new Repository(store, config, splitMasterKey(master), options);
      }
      if (!vanished) break;
    }
    throw new WrongPassphraseError(store.locate(KEYS_FOLDER));
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
  }

  /** Published points, oldest first (ids sort by creation time). */
  async listPointIds(): Promise<PointId[]> {
    const names = await this.store.list(POINTS_FOLDER);
    return names.filter((name) => name.endsWith(MANIFEST_SUFFIX)).map((name) => name.slice(0, -MANIFEST_SUFFIX.length) as PointId);
  }

  async hasPoint(pointId: PointId): Promise<boolean> {
    return (await this.store.stat(manifestKey(pointId))) !== undefined;
  }

  async readPoint(pointId: PointId): Promise<RecoveryPoint> {
    const key = manifestKey(pointId);
    const plain = await this.readEnvelope(key, EnvelopeKind.manifest);
    try {
      const point = decodeManifest(plain);
      if (point.pointId !== pointId) throw new Error(`manifest names point ${point.pointId}`);
      if (point.chunkSizeBytes !== this.chunkSizeBytes) throw new Error(`manifest chunk size ${point.chunkSizeBytes} differs from the repository's`);
      return point;
    } catch (error) {
      throw new RepositoryFileError("corrupt", this.store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async readIndex(pointId: PointId, diskIndex: number, expectedSizeBytes?: number): Promise<FixedIndex> {
    const key = indexKey(pointId, diskIndex);
    const plain = await this.readEnvelope(key, EnvelopeKind.index);
    try {
      const index = FixedIndex.decode(plain, this.chunkSizeBytes);
      if (expectedSizeBytes !== undefined && index.diskSizeBytes !== expectedSizeBytes) {
        throw new Error(`index is for a ${index.diskSizeBytes}-byte disk, the manifest says ${expectedSizeBytes}`);
      }
      return index;
    } catch (error) {
      throw new RepositoryFileError("corrupt", this.store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /** A chunk's plaintext, checked against its digest. */
  async readChunk(digest: ChunkDigest, expectedBytes: number): Promise<Buffer> {
    const key = chunkKey(digest);
    const bytes = await this.store.read(key);
    try {
      return await this.codec.decode(bytes, digest, expectedBytes);
    } catch (error) {
      throw new RepositoryFileError("corrupt", this.store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async readEnvelope(key: string, kind: EnvelopeKind): Promise<Buffer> {
    const bytes = await this.store.read(key);
    try {
      return openEnvelope(kind, bytes, this.keys, MAX_METADATA_BYTES);
    } catch (error) {
      throw new RepositoryFileError("corrupt", this.store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  sealEnvelope(kind: EnvelopeKind, plain: Uint8Array): Buffer {
    return sealEnvelope(kind, plain, this.keys, compressionLevelOf(this.config));
  }
}
