/**
 * Per-block fingerprints of a local image for `repo backup-image` (docs/repository-format.md §7): the
 * `--fingerprints ALG[:BLOCK]` option, the table of digests filled while the image is read, and the full
 * hashing pass `--detect-changes fingerprints` makes before comparing with the previous point — the same
 * pass a transporter runs on the host with `md5sum`-style tools.
 *
 * Blocks and chunks are both powers of two, so they nest. A block larger than a chunk covers whole chunks;
 * when only some chunks are read (a changed list), `wholeBlockChunks` widens the selection so that every
 * block touched is read entirely and can be hashed. Blocks never read are taken from the previous point,
 * whose bytes they share because every chunk under them was taken over.
 */
import type { FileHandle } from "node:fs/promises";
import {
  DEFAULT_FINGERPRINT_BLOCK_BYTES,
  FINGERPRINT_ALGORITHMS,
  InvalidInputError,
  checkFingerprintBlockSize,
  fingerprintBlockCount,
  isFingerprintAlgorithm,
  sameFingerprintKind,
} from "@esxbackup/domain";
import type { ChangeFingerprints, DiskFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import type { FingerprintHasher } from "@esxbackup/repository";
import { parseByteSize } from "./open-repository.js";

/** Kept well under what a reader accepts for one metadata file; a larger block makes it smaller. */
export const MAX_FINGERPRINTS_BYTES = 512 * 1024 * 1024;

export interface FingerprintKind {
  algorithm: FingerprintAlgorithm;
  blockSizeBytes: number;
}

/** `ALG[:BLOCK]`, e.g. `md5`, `sha256:1M`; BLOCK defaults to 64K. */
export function parseFingerprintsOption(text: string): FingerprintKind {
  const [algorithmText = "", blockText, ...rest] = text.trim().split(":");
  const algorithm = algorithmText.toLowerCase();
  if (!isFingerprintAlgorithm(algorithm) || rest.length > 0) {
    throw new InvalidInputError(
      "--fingerprints",
      `expected ALG[:BLOCK] with ALG one of ${Object.keys(FINGERPRINT_ALGORITHMS).join(", ")} and BLOCK a power of two like 64K (got ${JSON.stringify(text)})`,
    );
  }
  const blockSizeBytes = blockText === undefined ? DEFAULT_FINGERPRINT_BLOCK_BYTES : parseByteSize(blockText, "--fingerprints");
  checkFingerprintBlockSize(blockSizeBytes, "--fingerprints");
  return { algorithm, blockSizeBytes };
}

export function fingerprintInfo(kind: FingerprintKind): ChangeFingerprints {
  return { algorithm: kind.algorithm, blockSizeBytes: kind.blockSizeBytes, digestLengthBytes: FINGERPRINT_ALGORITHMS[kind.algorithm] };
}

/** "md5:64K", as the option is written. */
export function formatFingerprintKind(kind: ChangeFingerprints): string {
  const block = kind.blockSizeBytes;
  const size = block % (1024 * 1024) === 0 ? `${block / (1024 * 1024)}M` : block % 1024 === 0 ? `${block / 1024}K` : `${block}`;
  return `${kind.algorithm}:${size}`;
}

/** The digests of every block of one image, filled in any order. */
export class ImageFingerprints {
  readonly info: ChangeFingerprints;
  readonly sizeBytes: number;
  readonly blockCount: number;
  readonly digests: Buffer;
  readonly #recorded: Uint8Array;

  constructor(info: ChangeFingerprints, sizeBytes: number) {
    this.info = info;
    this.sizeBytes = sizeBytes;
    this.blockCount = fingerprintBlockCount(sizeBytes, info.blockSizeBytes);
    const bytes = this.blockCount * info.digestLengthBytes;
    if (bytes > MAX_FINGERPRINTS_BYTES) {
      throw new InvalidInputError(
        "--fingerprints",
        `a ${sizeBytes}-byte image in ${info.blockSizeBytes}-byte blocks needs ${bytes} bytes of fingerprints, more than ${MAX_FINGERPRINTS_BYTES} (512 MiB); choose a larger block`,
      );
    }
    this.digests = Buffer.alloc(bytes);
    this.#recorded = new Uint8Array(this.blockCount);
  }

  /** Records the digests of consecutive blocks, the first starting at `offsetBytes` (a block boundary). */
  record(offsetBytes: number, digests: Uint8Array): void {
    const first = offsetBytes / this.info.blockSizeBytes;
    const count = digests.byteLength / this.info.digestLengthBytes;
    if (!Number.isInteger(first) || !Number.isInteger(count) || first + count > this.blockCount) {
      throw new Error(`fingerprints at offset ${offsetBytes} (${digests.byteLength} bytes) do not fit the image's blocks`);
    }
    this.digests.set(digests, first * this.info.digestLengthBytes);
    this.#recorded.fill(1, first, first + count);
  }

  /**
   * Takes every block not recorded from `previous`. Only sound when those blocks hold the same bytes at the
   * same place in both disks, which the caller ensures by reading every block any read or new chunk touches.
   */
  fillFrom(previous: DiskFingerprints): void {
    if (!sameFingerprintKind(previous, this.info)) throw new Error("previous fingerprints are of another kind");
    const previousCount = fingerprintBlockCount(previous.sizeBytes, previous.blockSizeBytes);
    const length = this.info.digestLengthBytes;
    for (let block = 0; block < this.blockCount; block += 1) {
      if (this.#recorded[block] === 1) continue;
      if (block >= previousCount) throw new Error(`block ${block} was neither read nor in the previous point`);
      this.digests.set(previous.digests.subarray(block * length, (block + 1) * length), block * length);
      this.#recorded[block] = 1;
    }
  }

  /** Throws naming the first block never recorded; the table is then whole. */
  toDiskFingerprints(): DiskFingerprints {
    const missing = this.#recorded.indexOf(0);
    if (missing !== -1) throw new Error(`fingerprint of block ${missing} (offset ${missing * this.info.blockSizeBytes}) was never computed`);
    return { ...this.info, sizeBytes: this.sizeBytes, digests: this.digests };
  }
}

/**
 * Widens a sorted chunk selection so every block it touches is read whole (only matters when a block
 * covers several chunks). Sorted and distinct in, sorted and distinct out.
 */
export function wholeBlockChunks(chunks: readonly number[], chunkSizeBytes: number, blockSizeBytes: number, chunkCount: number): number[] {
  if (blockSizeBytes <= chunkSizeBytes) return [...chunks];
  const perBlock = blockSizeBytes / chunkSizeBytes;
  const result: number[] = [];
  for (const chunk of chunks) {
    const first = Math.floor(chunk / perBlock) * perBlock;
    const start = Math.max(first, (result[result.length - 1] ?? -1) + 1);
    for (let next = start; next < Math.min(first + perBlock, chunkCount); next += 1) result.push(next);
  }
  return result;
}

/** How many chunks a read may hold so that a run starting on a block boundary ends on one too. */
export function blockAlignedRunChunks(runBytes: number, chunkSizeBytes: number, blockSizeBytes: number | undefined): number {
  const chunks = Math.max(1, Math.floor(runBytes / chunkSizeBytes));
  if (blockSizeBytes === undefined || blockSizeBytes <= chunkSizeBytes) return chunks;
  const perBlock = blockSizeBytes / chunkSizeBytes;
  return Math.max(perBlock, Math.floor(chunks / perBlock) * perBlock);
}

/**
 * Hashes the whole image: `lanes` reads of about `runBytes` in flight, each hashed off the main thread.
 * Throws an InvalidInputError when the image is shorter than `sizeBytes` (it changed while being read).
 */
export async function hashWholeImage(
  image: FileHandle,
  path: string,
  fingerprints: ImageFingerprints,
  hasher: FingerprintHasher,
  options: { lanes: number; runBytes: number; signal: AbortSignal; onProgress: (bytesDone: number) => void },
): Promise<void> {
  const block = fingerprints.info.blockSizeBytes;
  const step = Math.max(block, Math.floor(options.runBytes / block) * block);
  let nextOffset = 0;
  let bytesDone = 0;
  const lane = async (): Promise<void> => {
    while (nextOffset < fingerprints.sizeBytes) {
      options.signal.throwIfAborted();
      const offset = nextOffset;
      const length = Math.min(step, fingerprints.sizeBytes - offset);
      nextOffset += length;
      // A fresh buffer per read: it is transferred to the hashing thread.
      const buffer = Buffer.allocUnsafeSlow(length);
      const { bytesRead } = await image.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new InvalidInputError("image", `${path} changed size while being read (short read at offset ${offset})`);
      fingerprints.record(offset, (await hasher.hash(buffer)).digests);
      bytesDone += length;
      options.onProgress(bytesDone);
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
}
