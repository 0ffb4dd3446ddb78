/**
 * Computes per-block fingerprints (docs/repository-format.md §7) of image data on its own worker thread,
 * apart from the chunk codec pool: hashing every block of a disk costs as much CPU as encoding it, and the
 * main thread must keep reading. `threads: 0` hashes inline. The caller closes the hasher.
 */
import { Worker } from "node:worker_threads";
import { FINGERPRINT_ALGORITHMS, checkFingerprintBlockSize } from "@esxbackup/domain";
import type { ChangeFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import { hashBlocks } from "./hash-blocks.js";
import { transferListOf } from "./transfer-list.js";
import type { FingerprintJob, FingerprintJobResult } from "./fingerprint-worker.js";

export class FingerprintHasher {
  readonly info: ChangeFingerprints;
  readonly #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (result: FingerprintJobResult) => void; reject: (error: unknown) => void }>();
  #nextId = 1;
  #failure: unknown;

  constructor(algorithm: FingerprintAlgorithm, blockSizeBytes: number, options: { threads?: 0 | 1 } = {}) {
    checkFingerprintBlockSize(blockSizeBytes, "fingerprint block size");
    this.info = { algorithm, blockSizeBytes, digestLengthBytes: FINGERPRINT_ALGORITHMS[algorithm] };
    if (options.threads === 0) return;
    const worker = new Worker(new URL("./fingerprint-worker.js", import.meta.url));
    worker.on("message", (result: FingerprintJobResult) => this.#settle(result));
    worker.on("error", (error) => {
      // The worker is gone: fail what is pending and everything asked later.
      this.#failure = error;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    });
    worker.unref();
    this.#worker = worker;
  }

  /**
   * The digests of the consecutive blocks `data` holds (it starts at a block boundary; only the disk's last
   * block may be short). `data` is transferred to the worker when it owns its whole ArrayBuffer and comes
   * back as `data` in the result: use that one afterwards, not the argument.
   */
  async hash(data: Uint8Array): Promise<{ digests: Buffer; data: Uint8Array }> {
    const { algorithm, blockSizeBytes } = this.info;
    if (this.#worker === undefined) return { digests: hashBlocks(algorithm, blockSizeBytes, data), data };
    if (this.#failure !== undefined) throw this.#failure;
    const worker = this.#worker;
    const id = this.#nextId++;
    if (this.#pending.size === 0) worker.ref();
    const result = await new Promise<FingerprintJobResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, algorithm, blockSizeBytes, data } satisfies FingerprintJob, transferListOf(data));
    });
    if (!result.ok) throw new Error(`hashing blocks failed: ${result.message}`);
    return { digests: Buffer.from(result.digests.buffer, result.digests.byteOffset, result.digests.byteLength), data: result.data };
  }

  /** Stops the worker; hashes still pending fail. */
  async close(): Promise<void> {
    for (const pending of this.#pending.values()) pending.reject(new Error("the fingerprint hasher was closed"));
    this.#pending.clear();
    // Waiting for an idle (unref'd) worker's exit does not keep the event loop alive by itself.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await this.#worker?.terminate();
    } finally {
      clearInterval(keepAlive);
    }
  }

  #settle(result: FingerprintJobResult): void {
    const pending = this.#pending.get(result.id);
    if (pending === undefined) return;
    this.#pending.delete(result.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    pending.resolve(result);
  }
}
