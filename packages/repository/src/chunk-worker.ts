/**
 * Worker-thread entry of `ChunkCodecPool`: hashes, compresses and encrypts chunks (or the reverse) off the
 * main thread, so a backup uses every core. Protocol: the pool posts `ChunkJob`s, the worker answers each
 * with a `ChunkJobResult` carrying the same `id`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ChunkDigest } from "@esxbackup/domain";
import { decodeChunk, digestRun, encodeChunk, sealRun } from "./chunk-codec.js";
import type { SealedRun } from "./chunk-codec.js";
import type { EnvelopeVersion, Sealing } from "./envelope.js";
import { transferListOf } from "./transfer-list.js";

export type ChunkJob =
  | { id: number; op: "encode"; plain: Uint8Array; sealing: Sealing }
  | { id: number; op: "digestRun"; plain: Uint8Array; chunkBytes: number }
  | { id: number; op: "sealRun"; plain: Uint8Array; chunkBytes: number; positions: number[]; sealing: Sealing; level: number; spare?: ArrayBuffer }
  | { id: number; op: "decode"; bytes: Uint8Array; digest: ChunkDigest; expectedBytes: number; version: EnvelopeVersion; key?: Uint8Array };

export type ChunkJobResult =
  | { id: number; ok: true; zero: true }
  | { id: number; ok: true; zero: false; digest: ChunkDigest; bytes: Uint8Array }
  | { id: number; ok: true; plain: Uint8Array }
  /** `plain`: the run's plaintext when it was transferred to the worker (absent: the caller's view is still good). */
  | { id: number; ok: true; digests: (ChunkDigest | null)[]; plain?: Uint8Array }
  | { id: number; ok: true; sealed: SealedRun }
  | { id: number; ok: false; message: string };

/**
 * What a worker is started with: the id key (chunk names) but not the data key — each sealing or decoding
 * job carries the one session subkey it needs (session-keys.ts).
 */
export interface ChunkWorkerData {
  idKey: Uint8Array | undefined;
  compressionLevel: number;
}

const port = parentPort;
if (port !== null) {
  const data = workerData as ChunkWorkerData;
  const idKey = data.idKey;
  const level = data.compressionLevel;
  port.on("message", (job: ChunkJob) => {
    try {
      // A hashed run's plaintext goes back without a copy, to be sealed next, when it was transferred here:
      // a view of shared memory (or a copy of part of a buffer) is still the caller's, and sending it back
      // would only make the caller's thread a new object for memory it has.
      if (job.op === "digestRun") {
        const digests = digestRun(job.plain, job.chunkBytes, idKey);
        const transfer = transferListOf(job.plain);
        port.postMessage({ id: job.id, ok: true, digests, ...(transfer.length === 0 ? {} : { plain: job.plain }) } satisfies ChunkJobResult, transfer);
      } else if (job.op === "sealRun") {
        const sealed = sealRun(job.plain, job.chunkBytes, job.positions, job.sealing, job.level, job.spare);
        port.postMessage({ id: job.id, ok: true, sealed } satisfies ChunkJobResult, transferListOf(sealed.buffer));
      } else if (job.op === "encode") {
        const encoded = encodeChunk(job.plain, idKey, job.sealing, level);
        if (encoded.zero) port.postMessage({ id: job.id, ok: true, zero: true } satisfies ChunkJobResult);
        else port.postMessage({ id: job.id, ok: true, zero: false, digest: encoded.digest, bytes: encoded.bytes } satisfies ChunkJobResult, transferListOf(encoded.bytes));
      } else {
        const key = job.key;
        const plain = decodeChunk(job.bytes, job.digest, job.expectedBytes, idKey, { version: job.version, ...(key === undefined ? {} : { keyFor: () => key }) });
        port.postMessage({ id: job.id, ok: true, plain } satisfies ChunkJobResult, transferListOf(plain));
      }
    } catch (error) {
      port.postMessage({ id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies ChunkJobResult);
    }
  });
}
