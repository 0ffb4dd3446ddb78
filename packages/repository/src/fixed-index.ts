/**
 * The fixed index of one disk of one point (docs/repository-format.md §6): the disk size, the chunk size,
 * and one 32-byte digest per chunk in disk order, all zeros for an all-zero chunk. In memory it is one flat
 * buffer, so a 2 TiB disk at 256 KiB chunks costs 256 MiB at most and copying an index is one memcpy.
 */
import { CHUNK_DIGEST_BYTES, ZERO_CHUNK_DIGEST } from "@esxbackup/domain";
import type { ChunkDigest } from "@esxbackup/domain";

const HEADER_BYTES = 16;

export class FixedIndex {
  readonly diskSizeBytes: number;
  readonly chunkSizeBytes: number;
  readonly chunkCount: number;
  /** chunkCount × 32 bytes. */
  readonly digests: Buffer;

  constructor(diskSizeBytes: number, chunkSizeBytes: number, digests?: Buffer) {
    this.diskSizeBytes = diskSizeBytes;
    this.chunkSizeBytes = chunkSizeBytes;
    this.chunkCount = Math.ceil(diskSizeBytes / chunkSizeBytes);
    this.digests = digests ?? Buffer.alloc(this.chunkCount * CHUNK_DIGEST_BYTES);
    if (this.digests.byteLength !== this.chunkCount * CHUNK_DIGEST_BYTES) throw new Error("index digests do not match the chunk count");
  }

  /** Byte length of chunk `index` (the last one may be shorter). */
  chunkLength(index: number): number {
    return Math.min(this.chunkSizeBytes, this.diskSizeBytes - index * this.chunkSizeBytes);
  }

  get(index: number): ChunkDigest {
    return this.digests.toString("hex", index * CHUNK_DIGEST_BYTES, (index + 1) * CHUNK_DIGEST_BYTES) as ChunkDigest;
  }

  isZero(index: number): boolean {
    const start = index * CHUNK_DIGEST_BYTES;
    for (let offset = start; offset < start + CHUNK_DIGEST_BYTES; offset += 1) if (this.digests[offset] !== 0) return false;
    return true;
  }

  set(index: number, digest: ChunkDigest): void {
    if (index < 0 || index >= this.chunkCount || !Number.isInteger(index)) throw new RangeError(`chunk ${index} is outside 0..${this.chunkCount - 1}`);
    this.digests.write(digest, index * CHUNK_DIGEST_BYTES, CHUNK_DIGEST_BYTES, "hex");
  }

  setZero(index: number): void {
    this.set(index, ZERO_CHUNK_DIGEST);
  }

  encode(): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeBigUInt64LE(BigInt(this.diskSizeBytes), 0);
    header.writeUInt32LE(this.chunkSizeBytes, 8);
    header.writeUInt32LE(CHUNK_DIGEST_BYTES, 12);
    return Buffer.concat([header, this.digests]);
  }

  /** Throws an Error saying what is wrong; the caller names the file. */
  static decode(plain: Buffer, expectedChunkSizeBytes: number): FixedIndex {
    if (plain.byteLength < HEADER_BYTES) throw new Error(`index is truncated (${plain.byteLength} bytes)`);
    const diskSizeBytes = Number(plain.readBigUInt64LE(0));
    const chunkSizeBytes = plain.readUInt32LE(8);
    const digestBytes = plain.readUInt32LE(12);
    if (chunkSizeBytes !== expectedChunkSizeBytes) throw new Error(`index chunk size ${chunkSizeBytes} differs from the repository's ${expectedChunkSizeBytes}`);
    if (digestBytes !== CHUNK_DIGEST_BYTES) throw new Error(`index digest length ${digestBytes} is not ${CHUNK_DIGEST_BYTES}`);
    const expectedBytes = HEADER_BYTES + Math.ceil(diskSizeBytes / chunkSizeBytes) * CHUNK_DIGEST_BYTES;
    if (plain.byteLength !== expectedBytes) throw new Error(`index holds ${plain.byteLength} bytes, expected ${expectedBytes} for a ${diskSizeBytes}-byte disk`);
    return new FixedIndex(diskSizeBytes, chunkSizeBytes, Buffer.from(plain.subarray(HEADER_BYTES)));
  }
}
