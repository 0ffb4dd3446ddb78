/**
 * Worker-thread entry of `ChunkCodecPool`: hashes, compresses and encrypts chunks (or the reverse) off the
 * main thread, so a backup uses every core. Protocol: the pool posts `ChunkJob`s, the worker answers each
 * with a `ChunkJobResult` carrying the same `id`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ChunkDigest } from "@esxbackup/domain";
import { decodeChunk, encodeChunk, encodeRun } from "./chunk-codec.js";
import type { EncodedRun } from "./chunk-codec.js";
import type { RepositoryKeys } from "./repository-keys.js";

export type ChunkJob =
  | { id: number; op: "encode"; plain: Uint8Array }
  | { id: number; op: "encodeRun"; plain: Uint8Array; chunkBytes: number }
  | { id: number; op: "decode"; bytes: Uint8Array; digest: ChunkDigest; expectedBytes: number };

export type ChunkJobResult =
  | { id: number; ok: true; zero: true }
  | { id: number; ok: true; zero: false; digest: ChunkDigest; bytes: Uint8Array }
  | { id: number; ok: true; plain: Uint8Array }
  | { id: number; ok: true; run: EncodedRun; plain: Uint8Array }
  | { id: number; ok: false; message: string };

/** What a worker is started with. */
export interface ChunkWorkerData {
  keys: { dataKey: Uint8Array; idKey: Uint8Array } | undefined;
  compressionLevel: number;
}

const port = parentPort;
if (port !== null) {
  const data = workerData as ChunkWorkerData;
  const keys: RepositoryKeys | undefined = data.keys === undefined ? undefined : { dataKey: Buffer.from(data.keys.dataKey), idKey: Buffer.from(data.keys.idKey) };
  const level = data.compressionLevel;
  port.on("message", (job: ChunkJob) => {
    try {
      if (job.op === "encodeRun") {
        // The whole run comes back in one transferred buffer, without a copy.
        // The plaintext goes back as well, so the reader can fill it again instead of allocating.
        const run = encodeRun(job.plain, job.chunkBytes, keys, level);
        port.postMessage({ id: job.id, ok: true, run, plain: job.plain } satisfies ChunkJobResult, [...transferable(run.buffer), ...transferable(job.plain)]);
      } else if (job.op === "encode") {
        const encoded = encodeChunk(job.plain, keys, level);
        if (encoded.zero) port.postMessage({ id: job.id, ok: true, zero: true } satisfies ChunkJobResult);
        else port.postMessage({ id: job.id, ok: true, zero: false, digest: encoded.digest, bytes: encoded.bytes } satisfies ChunkJobResult, transferable(encoded.bytes));
      } else {
        const plain = decodeChunk(job.bytes, job.digest, job.expectedBytes, keys);
        port.postMessage({ id: job.id, ok: true, plain } satisfies ChunkJobResult, transferable(plain));
      }
    } catch (error) {
      port.postMessage({ id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies ChunkJobResult);
    }
  });
}

/** Transfer only buffers that own their whole ArrayBuffer: a pooled small Buffer must be copied. */
function transferable(data: Uint8Array): ArrayBuffer[] {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? [data.buffer] : [];
}
