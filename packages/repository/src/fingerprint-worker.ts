/**
 * Worker-thread entry of `FingerprintHasher`: digests consecutive blocks off the main thread, so hashing a
 * whole image does not stall the reads feeding it. The buffer comes in by transfer and goes back the same
 * way, so the caller can still store the data it hashed without a copy.
 */
import { parentPort } from "node:worker_threads";
import { hashBlocks } from "./hash-blocks.js";
import { transferListOf } from "./transfer-list.js";

export interface FingerprintJob {
  id: number;
  algorithm: string;
  blockSizeBytes: number;
  data: Uint8Array;
}

export type FingerprintJobResult = { id: number; ok: true; digests: Uint8Array; data: Uint8Array } | { id: number; ok: false; message: string };

const port = parentPort;
if (port !== null) {
  port.on("message", (job: FingerprintJob) => {
    try {
      const digests = hashBlocks(job.algorithm, job.blockSizeBytes, job.data);
      const transfer = transferListOf(digests, job.data);
      port.postMessage({ id: job.id, ok: true, digests, data: job.data } satisfies FingerprintJobResult, transfer);
    } catch (error) {
      port.postMessage({ id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies FingerprintJobResult);
    }
  });
}

