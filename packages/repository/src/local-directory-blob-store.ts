/**
 * A `BlobStore` in a local folder (or a mounted NAS share). Every write goes to `tmp/` on the same file
 * system, is fsynced, renamed into place, and the folder is fsynced: after a crash a blob is either absent
 * or complete. `fsync: "batched"` (default) lets a `WriteBatch` write all its files first and fsync them
 * together at `flush()`, which keeps the disk queue full; `"per-file"` fsyncs each file as it is written.
 * Either way nothing is visible under its final name before it is durable.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import * as nodeFs from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BlobInfo, BlobStore, WriteBatch } from "./blob-store.js";
import { runLimited } from "./run-limited.js";
import { RepositoryFileError } from "./repository-file-error.js";

export type FsyncStrategy = "batched" | "per-file";

/** An open file, as far as the store uses one. */
export interface LocalFileHandle {
  writeFile(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls the store makes (node's `fs/promises` by default). A test passes a model of a power
 * cut here, which forgets what was not made durable, to check that every fsync the format needs is made.
 */
export interface LocalFileSystem {
  open(path: string, flags: number, mode?: number): Promise<LocalFileHandle>;
  link(existing: string, created: string): Promise<void>;
  /** Recursive; the first folder it created, or undefined when the whole path existed. */
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  /** Recursive. */
  rm(path: string, options: { recursive: true }): Promise<void>;
  stat(path: string): Promise<{ size: number; mtimeMs: number }>;
  unlink(path: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
}

export const nodeFileSystem: LocalFileSystem = {
  open: (path, flags, mode) => nodeFs.open(path, flags, mode),
  link: (existing, created) => nodeFs.link(existing, created),
  mkdir: (path, options) => nodeFs.mkdir(path, options),
  readdir: (path) => nodeFs.readdir(path),
  readFile: (path) => nodeFs.readFile(path),
  rename: (from, to) => nodeFs.rename(from, to),
  rm: (path, options) => nodeFs.rm(path, options),
  stat: (path) => nodeFs.stat(path),
  unlink: (path) => nodeFs.unlink(path),
  utimes: (path, atime, mtime) => nodeFs.utimes(path, atime, mtime),
};

const TMP_FOLDER = "tmp";
const FSYNC_PARALLELISM = 64;

export class LocalDirectoryBlobStore implements BlobStore {
  readonly root: string;
  readonly #fsync: FsyncStrategy;
  readonly #fs: LocalFileSystem;
  readonly #tmpPrefix = `${process.pid}-${randomBytes(4).toString("hex")}`;
  #tmpCounter = 0;
  #tmpReady: Promise<unknown> | undefined;

  constructor(root: string, options: { fsync?: FsyncStrategy; fileSystem?: LocalFileSystem } = {}) {
    this.root = root;
    this.#fsync = options.fsync ?? "batched";
    this.#fs = options.fileSystem ?? nodeFileSystem;
  }

  locate(key: string): string {
    return join(this.root, ...key.split("/"));
  }

  async read(key: string): Promise<Buffer> {
    const path = this.locate(key);
    try {
      return await this.#fs.readFile(path);
    } catch (error) {
      // A file where a folder of the path should be (a repository path naming a file): nothing is there.
      if (isCode(error, "ENOTDIR")) throw new RepositoryFileError("missing", path, "does not exist: a folder on its path is a file", { cause: error });
      throw wrap(error, path, "reading");
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    const tmp = await this.#writeTemp(key, data, true);
    await this.#publish([{ tmp, key }]);
  }

  /**
   * Every temporary file a batch creates is removed unless it is renamed into place: by `discard` (which
   * first waits for writes still in progress, and refuses later ones), or by a `flush` that fails. A
   * backup that fails, on a full disk above all, leaves nothing in `tmp/`.
   */
  batch(): WriteBatch {
    let pending: { tmp: string; key: string }[] = [];
    const writing = new Set<Promise<string>>();
    let discarded = false;
    const fsyncEach = this.#fsync === "per-file";
    const refuse = (key: string): RepositoryFileError => new RepositoryFileError("io", this.locate(key), "writing failed: the write batch was discarded");
    return {
      write: async (key, data) => {
        if (discarded) throw refuse(key);
        const written = this.#writeTemp(key, data, fsyncEach);
        writing.add(written);
        let tmp: string;
        try {
          tmp = await written;
        } finally {
          writing.delete(written);
        }
        // Pushed only now (a `discard` waiting for this write runs after it, and removes it): a flush that ran meanwhile swapped `pending`, and this blob belongs to the next one.
        pending.push({ tmp, key });
      },
      flush: async () => {
        const items = pending;
        pending = [];
        if (!fsyncEach) {
          try {
            await runLimited(items, FSYNC_PARALLELISM, (item) => fsyncPath(this.#fs, item.tmp));
          } catch (error) {
            await removeTemporary(this.#fs, items);
            throw wrap(error, items[0] === undefined ? this.root : this.locate(items[0].key), "flushing");
          }
        }
        await this.#publish(items);
      },
      discard: async () => {
        discarded = true;
        await Promise.allSettled([...writing]);
        const items = pending;
        pending = [];
        await removeTemporary(this.#fs, items);
      },
    };
  }

  async createExclusive(key: string, data: Uint8Array): Promise<boolean> {
    const tmp = await this.#writeTemp(key, data, true);
    const path = this.locate(key);
    try {
      await this.#fs.mkdir(dirname(path), { recursive: true });
      await this.#fs.link(tmp, path);
      await fsyncPath(this.#fs, dirname(path));
      return true;
    } catch (error) {
      if (isCode(error, "EEXIST")) return false;
      throw wrap(error, path, "creating");
    } finally {
      await this.#fs.unlink(tmp).catch(() => undefined);
    }
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const path = this.locate(key);
    try {
      const info = await this.#fs.stat(path);
      return { sizeBytes: info.size, modifiedAtMs: info.mtimeMs };
    } catch (error) {
      if (isCode(error, "ENOENT")) return undefined;
      throw wrap(error, path, "inspecting");
    }
  }

  async touch(key: string, at: Date): Promise<boolean> {
    const path = this.locate(key);
    try {
      await this.#fs.utimes(path, at, at);
      return true;
    } catch (error) {
      if (isCode(error, "ENOENT")) return false;
      throw wrap(error, path, "touching");
    }
  }

  async list(folder: string): Promise<string[]> {
    const path = this.locate(folder);
    try {
      return (await this.#fs.readdir(path)).sort();
    } catch (error) {
      if (isCode(error, "ENOENT")) return [];
      throw wrap(error, path, "listing");
    }
  }

  async remove(key: string): Promise<boolean> {
    const path = this.locate(key);
    try {
      await this.#fs.stat(path);
      await this.#fs.rm(path, { recursive: true });
      await fsyncPath(this.#fs, dirname(path));
      return true;
    } catch (error) {
      if (isCode(error, "ENOENT")) return false;
      throw wrap(error, path, "removing");
    }
  }

  async #writeTemp(key: string, data: Uint8Array, durable: boolean): Promise<string> {
    this.#tmpCounter += 1;
    const tmp = join(this.root, TMP_FOLDER, `${this.#tmpPrefix}-${this.#tmpCounter}`);
    let handle;
    try {
      this.#tmpReady ??= this.#fs.mkdir(join(this.root, TMP_FOLDER), { recursive: true });
      await this.#tmpReady;
      handle = await this.#fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      await handle.writeFile(data);
      if (durable) await handle.sync();
      await handle.close();
      handle = undefined;
      return tmp;
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await this.#fs.unlink(tmp).catch(() => undefined);
      throw wrap(error, this.locate(key), "writing");
    }
  }

  /** Renames durable temporary files into place, then fsyncs every folder that received one. */
  async #publish(items: readonly { tmp: string; key: string }[]): Promise<void> {
    const folders = new Set<string>();
    for (const item of items) folders.add(dirname(this.locate(item.key)));
    try {
      for (const folder of folders) {
        const created = await this.#fs.mkdir(folder, { recursive: true }).catch((error: unknown) => {
          throw wrap(error, folder, "creating folder");
        });
        if (created !== undefined) await fsyncPath(this.#fs, dirname(created));
      }
      await runLimited(items, FSYNC_PARALLELISM, (item) => this.#fs.rename(item.tmp, this.locate(item.key)));
      await runLimited([...folders], FSYNC_PARALLELISM, (folder) => fsyncPath(this.#fs, folder));
    } catch (error) {
      // Those already renamed are no longer there: unlinking their temporary names is harmless.
      await removeTemporary(this.#fs, items);
      throw wrap(error, items[0] === undefined ? this.root : this.locate(items[0].key), "publishing");
    }
  }
}

async function removeTemporary(fs: LocalFileSystem, items: readonly { tmp: string }[]): Promise<void> {
  await runLimited(items, FSYNC_PARALLELISM, (item) => fs.unlink(item.tmp).catch(() => undefined));
}

async function fsyncPath(fs: LocalFileSystem, path: string): Promise<void> {
  const handle = await fs.open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function wrap(error: unknown, path: string, doing: string): RepositoryFileError {
  if (error instanceof RepositoryFileError) return error;
  if (isCode(error, "ENOENT")) return new RepositoryFileError("missing", path, "does not exist", { cause: error });
  const code = typeof error === "object" && error !== null ? String((error as { code?: unknown }).code ?? "") : "";
  const reason = code === "ENOSPC" ? "no space left on device (ENOSPC)" : error instanceof Error ? error.message : String(error);
  return new RepositoryFileError("io", path, `${doing} failed: ${reason}`, { cause: error });
}
