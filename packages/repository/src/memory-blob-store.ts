/**
 * A `BlobStore` in memory, for unit tests: the same contracts as the directory store (it passes the same
 * conformance suite), no durability. `failWritesAfterBytes` simulates a full disk.
 */
import type { BlobInfo, BlobStore, WriteBatch } from "./blob-store.js";
import { RepositoryFileError } from "./repository-file-error.js";

interface Entry {
  data: Buffer;
  modifiedAtMs: number;
}

export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Entry>();
  #bytesLeft = Number.POSITIVE_INFINITY;

  /** After this many more bytes, writes fail as a full disk would (ENOSPC). */
  failWritesAfterBytes(bytes: number): void {
    this.#bytesLeft = bytes;
  }

  async read(key: string): Promise<Buffer> {
    const entry = this.#blobs.get(key);
    if (entry === undefined) throw new RepositoryFileError("missing", this.locate(key), "does not exist");
    return Buffer.from(entry.data);
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    this.#spend(key, data.byteLength);
    this.#blobs.set(key, { data: Buffer.from(data), modifiedAtMs: Date.now() });
  }

  batch(): WriteBatch {
    const pending = new Map<string, Buffer>();
    let discarded = false;
    return {
      write: async (key, data) => {
        if (discarded) throw new RepositoryFileError("io", this.locate(key), "writing failed: the write batch was discarded");
        this.#spend(key, data.byteLength);
        pending.set(key, Buffer.from(data));
      },
      flush: async () => {
        for (const [key, data] of pending) this.#blobs.set(key, { data, modifiedAtMs: Date.now() });
        pending.clear();
      },
      discard: async () => {
        discarded = true;
        pending.clear();
      },
    };
  }

  async createExclusive(key: string, data: Uint8Array): Promise<boolean> {
    if (this.#blobs.has(key)) return false;
    await this.write(key, data);
    return true;
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const entry = this.#blobs.get(key);
    return entry === undefined ? undefined : { sizeBytes: entry.data.byteLength, modifiedAtMs: entry.modifiedAtMs };
  }

  async touch(key: string, at: Date): Promise<boolean> {
    const entry = this.#blobs.get(key);
    if (entry === undefined) return false;
    entry.modifiedAtMs = at.getTime();
    return true;
  }

  async list(folder: string): Promise<string[]> {
    const prefix = `${folder}/`;
    const names = new Set<string>();
    for (const key of this.#blobs.keys()) {
      if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split("/")[0] ?? "");
    }
    return [...names].sort();
  }

  async remove(key: string): Promise<boolean> {
    let removed = this.#blobs.delete(key);
    for (const other of [...this.#blobs.keys()]) {
      if (other.startsWith(`${key}/`)) removed = this.#blobs.delete(other) || removed;
    }
    return removed;
  }

  locate(key: string): string {
    return `memory:${key}`;
  }

  /** For tests: replace a blob's bytes without changing anything else. */
  corrupt(key: string, mutate: (data: Buffer) => Buffer): void {
    const entry = this.#blobs.get(key);
    if (entry === undefined) throw new Error(`no blob ${key}`);
    entry.data = mutate(entry.data);
  }

  #spend(key: string, bytes: number): void {
    if (bytes > this.#bytesLeft) {
      throw new RepositoryFileError("io", this.locate(key), "no space left on device (ENOSPC)", { cause: Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }) });
    }
    this.#bytesLeft -= bytes;
  }
}
