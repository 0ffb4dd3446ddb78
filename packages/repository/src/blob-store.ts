/**
 * The port below everything else: named byte blobs in a folder-like namespace ("chunks/ab/ab12…",
 * "points/x.manifest"). Keys use "/" and never start with it. Contracts every adapter keeps (and
 * blob-store-conformance.ts checks):
 * - `write` is atomic and durable when it resolves: a reader sees the old content or the whole new content.
 * - A `WriteBatch` defers durability so an adapter can batch fsyncs: its blobs become visible, all durable,
 *   only when `flush()` resolves; `discard()` drops those not yet flushed, waits for writes still in
 *   progress and drops them too, and makes later writes fail (a discarded batch leaves nothing behind).
 *   Never visible half-written.
 * - `write` (direct or in a batch) keeps no reference to `data` once it resolves: callers reuse that memory.
 * - `createExclusive` creates a blob only if none exists, atomically (for locks).
 * - Missing blobs: `read` throws a `RepositoryFileError` with problem "missing"; `stat`/`touch`/`remove`
 *   report absence by their result instead.
 */
export interface BlobInfo {
  sizeBytes: number;
  modifiedAtMs: number;
}

export interface WriteBatch {
  write(key: string, data: Uint8Array): Promise<void>;
  /** Makes every blob written to this batch so far durable and visible. */
  flush(): Promise<void>;
  /** Forgets blobs written but not flushed. */
  discard(): Promise<void>;
}

export interface BlobStore {
  read(key: string): Promise<Buffer>;
  write(key: string, data: Uint8Array): Promise<void>;
  batch(): WriteBatch;
  createExclusive(key: string, data: Uint8Array): Promise<boolean>;
  stat(key: string): Promise<BlobInfo | undefined>;
  /** Sets the modification time; false when the blob does not exist. */
  touch(key: string, at: Date): Promise<boolean>;
  /** Names directly under `folder` (not recursive; sub-folders are listed by name too). Empty when absent. */
  list(folder: string): Promise<string[]>;
  /** False when it did not exist. Removing a folder removes everything under it. */
  remove(key: string): Promise<boolean>;
  /** A human-readable location of a key, for messages (a path for a directory store). */
  locate(key: string): string;
}
