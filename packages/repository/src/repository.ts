/**
 * An open repository: its configuration and keys, the store below it, and the codec pool that does the CPU
 * work. Reading is here; writing a point is `PointWriter` (begun with `beginPoint`), maintenance is in
 * verify-repository.ts, prune-points.ts, collect-garbage.ts and repository-stats.ts. The caller closes it.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidInputError, systemClock, timerScheduler } from "@esxbackup/domain";
import type { ChunkDigest, Clock, PointId, RecoveryPoint, Scheduler } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { ChunkCodecPool } from "./chunk-codec-pool.js";
import { decodeChunk } from "./chunk-codec.js";
import { EnvelopeKind, openEnvelope, sealEnvelope } from "./envelope.js";
import { FixedIndex } from "./fixed-index.js";
import { DEFAULT_SCRYPT, KeyFileConfigMismatchError, unwrapMasterKey, wrapMasterKey } from "./key-file.js";
import type { KeyFile, ScryptParameters } from "./key-file.js";
import { decodeManifest } from "./point-manifest.js";
import { compressionLevelOf, envelopeVersionOf, newRepositoryConfig, readRepositoryConfig } from "./repository-config.js";
import type { RepositoryConfig } from "./repository-config.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { MASTER_KEY_BYTES, configMac, splitMasterKey, wipeKeys } from "./repository-keys.js";
import type { RepositoryKeys } from "./repository-keys.js";
import { SessionKeys } from "./session-keys.js";
import {
  CHUNK_SUBFOLDERS,
  CHUNKS_FOLDER,
  CONFIG_KEY,
  KEYS_FOLDER,
  MANIFEST_SUFFIX,
  POINTS_FOLDER,
  SPACE_RESERVE_KEY,
  POINTS_LOG_FOLDER,
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
  /**
   * A lower zstd level new chunks are compressed at while the encoding workers are behind (ADR 29): for a
   * backup that holds a VM snapshot open, which should not last longer for compression's sake. Default:
   * always the repository's level.
   */
  compressionFloor?: number;
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
  readonly clock: Clock;
  readonly #keys: RepositoryKeys | undefined;
  readonly #sessions: SessionKeys;
  readonly scheduler: Scheduler;
  readonly #threads: number | undefined;
  readonly #compressionFloor: number | undefined;
  #pool: ChunkCodecPool | undefined;

  private constructor(store: BlobStore, config: RepositoryConfig, keys: RepositoryKeys | undefined, options: OpenOptions) {
    this.store = store;
    this.config = config;
    this.#keys = keys;
    // The sessions own the data key (wiped with them); the id key stays here for the codec's workers.
    this.#sessions = new SessionKeys(envelopeVersionOf(config), keys?.dataKey);
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? timerScheduler;
    this.#threads = options.threads;
    this.#compressionFloor = options.compressionFloor;
  }

  get encrypted(): boolean {
    return this.#keys !== undefined;
  }

  get chunkSizeBytes(): number {
    return this.config.chunkSizeBytes;
  }

  /** The codec pool, started on first use. */
  get codec(): ChunkCodecPool {
    this.#pool ??= new ChunkCodecPool(this.#keys?.idKey, this.#sessions, {
      compressionLevel: compressionLevelOf(this.config),
      ...(this.#threads === undefined ? {} : { threads: this.#threads }),
      ...(this.#compressionFloor === undefined ? {} : { compressionFloor: this.#compressionFloor }),
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
      const keyFile = await wrapMasterKey(master, options.passphrase as string, options.scrypt ?? DEFAULT_SCRYPT, clock.now(), config);
      await store.write(keyFileKey(randomBytes(8).toString("hex")), Buffer.from(JSON.stringify(keyFile, null, 2)));
      keys = splitMasterKey(master);
      master.fill(0);
      if (config.formatVersion >= 3) config.configMac = configMac(keys.configKey, config);
    }
    // Chunk folders exist before the config: a store with a config is always complete.
    const marker = Buffer.alloc(0);
    const folders = store.batch();
    for (const sub of CHUNK_SUBFOLDERS) await folders.write(`${CHUNKS_FOLDER}/${sub}/.keep`, marker);
    for (const folder of ["points", "indexes", "locks", ...(config.formatVersion >= 3 ? [POINTS_LOG_FOLDER] : [])]) await folders.write(`${folder}/.keep`, marker);
    await folders.flush();
    if (!(await ensureSpaceReserve(store))) {
      throw new RepositoryFileError("io", store.locate(SPACE_RESERVE_KEY), "no space left on device (ENOSPC) for the space reserve prune and gc need on a full disk");
    }
    await store.write(CONFIG_KEY, Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
    return new Repository(store, config, keys, options);
  }

  /**
   * Opens a repository. Refused, with nothing written: a config.json saying `encryption: none` while key
   * files exist (a downgrade), one whose format version is older than its key files' or its points log's,
   * and in version 3 an encrypted one whose `configMac` does not authenticate it.
   */
  static async open(store: BlobStore, options: OpenOptions = {}): Promise<Repository> {
    const config = await readRepositoryConfig(store);
    if (config.formatVersion < 3 && (await store.list(POINTS_LOG_FOLDER)).length > 0) {
      // Version 3 creates log/ at init: a config saying an older version there was edited (it would make
      // every file unreadable, and writers mix envelope versions). Key files catch this too when encrypted.
      throw new RepositoryFileError(
        "corrupt",
        store.locate(CONFIG_KEY),
        `says format version ${config.formatVersion}, but ${store.locate(POINTS_LOG_FOLDER)} exists, which only version 3 creates: config.json was altered (downgrade refused)`,
      );
    }
    if (config.encryption === "none") {
      const keyFiles = (await store.list(KEYS_FOLDER)).filter((name) => name.endsWith(".json"));
      if (keyFiles.length > 0) {
        throw new RepositoryFileError(
          "corrupt",
          store.locate(CONFIG_KEY),
          `says the repository is not encrypted, but ${store.locate(KEYS_FOLDER)} holds ${keyFiles.length} key file(s): config.json was altered (downgrade to plaintext refused)`,
        );
      }
      return new Repository(store, config, undefined, options);
    }
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
          master = await unwrapMasterKey(JSON.parse((await store.read(key)).toString("utf8")) as KeyFile, options.passphrase, config);
        } catch (error) {
          if (error instanceof RepositoryFileError && error.problem === "missing") {
            vanished = true;
            continue;
          }
          if (error instanceof KeyFileConfigMismatchError) throw new RepositoryFileError("corrupt", store.locate(CONFIG_KEY), `key file ${store.locate(key)}: ${error.message}`);
          throw new RepositoryFileError("corrupt", store.locate(key), `is not a valid key file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
        }
        if (master !== undefined) {
          const keys = splitMasterKey(master);
          master.fill(0);
          Repository.#checkConfigMac(store, config, keys);
          return new Repository(store, config, keys, options);
        }
      }
      if (!vanished) break;
    }
    throw new WrongPassphraseError(store.locate(KEYS_FOLDER));
  }

  static #checkConfigMac(store: BlobStore, config: RepositoryConfig, keys: RepositoryKeys): void {
    if (config.formatVersion < 3) return;
    const expected = Buffer.from(configMac(keys.configKey, config), "hex");
    const recorded = Buffer.from(config.configMac ?? "", "hex");
    if (recorded.byteLength !== expected.byteLength || !timingSafeEqual(recorded, expected)) {
      wipeKeys(keys);
      throw new RepositoryFileError(
        "corrupt",
        store.locate(CONFIG_KEY),
        config.configMac === undefined ? "has no configMac: it was altered (refused)" : "is not authenticated by the repository's key (configMac differs): it was altered (refused)",
      );
    }
  }

  /** Stops the workers and overwrites the keys this object holds; it cannot be used afterwards. */
  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
    this.#sessions.wipe();
    if (this.#keys !== undefined) wipeKeys(this.#keys);
  }

  /** What the authentication of a metadata file at store key `key` binds it to (docs/repository-format.md §5). */
  bindingOf(key: string): string {
    return `${this.config.repositoryId}/${key}`;
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

  /**
   * A chunk's plaintext, checked against its digest. `inline`: decoded on this thread rather than by the
   * codec pool (see `DiskReaderOptions.decodeInline` for when that pays).
   */
  async readChunk(digest: ChunkDigest, expectedBytes: number, options: { inline?: boolean } = {}): Promise<Buffer> {
    const key = chunkKey(digest);
    const bytes = await this.store.read(key);
    try {
      if (options.inline === true) return decodeChunk(bytes, digest, expectedBytes, this.#keys?.idKey, this.#sessions.opening);
      return await this.codec.decode(bytes, digest, expectedBytes);
    } catch (error) {
      throw new RepositoryFileError("corrupt", this.store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /** Reads (unless `bytes` is given: the file's content, already read) and opens the metadata file at `key`. */
  async readEnvelope(key: string, kind: EnvelopeKind, bytes?: Buffer): Promise<Buffer> {
    bytes ??= await this.store.read(key);
    try {
      return openEnvelope(kind, bytes, this.#sessions.opening, MAX_METADATA_BYTES, this.bindingOf(key));
    } catch (error) {
      throw new RepositoryFileError("corrupt", this.store.locate(key), error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /** Seals the metadata file to be written at store key `key` (bound to that name from version 3). */
  sealEnvelope(kind: EnvelopeKind, plain: Uint8Array, key: string): Buffer {
    return sealEnvelope(kind, plain, this.#sessions.sealing(1), compressionLevelOf(this.config), this.bindingOf(key));
  }
}
