/**
 * How a backup plans its reads while the source is still hashing the disk (docs/adr/0028): the source
 * reports its fingerprints part by part, in whatever order its parallel hash commands finish, and every
 * stretch of the disk whose fingerprints are all in is planned at once — the same plan `planDiskChanges`
 * makes for the whole disk, cut to that stretch — so its changed blocks are read while the host hashes the
 * rest. Pure: the pipeline feeds the parts in and does the reading.
 *
 * Stretches start and end on a `unit`: a whole number of chunks and of fingerprint blocks (the larger of the
 * two when one divides the other), so that each chunk is planned once, from all of its blocks.
 */
import { FINGERPRINT_ALGORITHMS, fingerprintBlockCount } from "@esxbackup/domain";
import type { ByteRange, DiskFingerprints, FingerprintAlgorithm } from "@esxbackup/domain";
import type { SourceFingerprintPart, SourceFingerprints } from "./disk-source.js";
import { planDiskChanges } from "./plan-disk-changes.js";
import type { DiskChangeInput, DiskChangePlan } from "./plan-disk-changes.js";

/** A stretch of the disk, [startBytes, endBytes). */
export interface DiskStretch {
  startBytes: number;
  endBytes: number;
}

/**
 * The stretch a segment plan works in: a whole number of both chunks and blocks, or undefined when neither
 * size divides the other (then the disk is planned whole, after hashing).
 */
export function segmentUnitBytes(chunkSizeBytes: number, blockSizeBytes: number): number | undefined {
  const larger = Math.max(chunkSizeBytes, blockSizeBytes);
  const smaller = Math.min(chunkSizeBytes, blockSizeBytes);
  return larger % smaller === 0 ? larger : undefined;
}

/**
 * Collects a source's fingerprint parts into the whole disk's fingerprints and zero map, and says which
 * stretches became complete with each part.
 */
export class FingerprintAssembler {
  readonly #kind: { algorithm: FingerprintAlgorithm; blockSizeBytes: number; digestLengthBytes: number };
  readonly #sizeBytes: number;
  readonly #unitBytes: number;
  readonly #digests: Buffer;
  readonly #zeroBlocks: Uint8Array;
  /** Byte ranges whose fingerprints are in, sorted, disjoint, touching ones merged. */
  #covered: ByteRange[] = [];

  constructor(kind: { algorithm: FingerprintAlgorithm; blockSizeBytes: number }, sizeBytes: number, unitBytes: number) {
    if (unitBytes % kind.blockSizeBytes !== 0) throw new RangeError(`a stretch of ${unitBytes} bytes is not a whole number of ${kind.blockSizeBytes}-byte blocks`);
    this.#kind = { ...kind, digestLengthBytes: FINGERPRINT_ALGORITHMS[kind.algorithm] };
    this.#sizeBytes = sizeBytes;
    this.#unitBytes = unitBytes;
    const blocks = fingerprintBlockCount(sizeBytes, kind.blockSizeBytes);
    this.#digests = Buffer.alloc(blocks * this.#kind.digestLengthBytes);
    this.#zeroBlocks = new Uint8Array(blocks);
  }

  /** True once every byte of the disk is covered. */
  get complete(): boolean {
    const only = this.#covered[0];
    return this.#covered.length === 1 && only !== undefined && only.offsetBytes === 0 && only.lengthBytes === this.#sizeBytes;
  }

  /**
   * Takes a part (block-aligned, within the disk, not overlapping one given before) and returns the
   * stretches that are now complete and were not before, sorted.
   */
  add(part: SourceFingerprintPart): DiskStretch[] {
    const block = this.#kind.blockSizeBytes;
    const end = part.offsetBytes + part.lengthBytes;
    const blocks = fingerprintBlockCount(part.lengthBytes, block);
    if (part.offsetBytes % block !== 0 || part.lengthBytes <= 0 || end > this.#sizeBytes || (end % block !== 0 && end !== this.#sizeBytes)) {
      throw new RangeError(`fingerprint part at ${part.offsetBytes} of ${part.lengthBytes} bytes is not whole blocks of the ${this.#sizeBytes}-byte disk`);
    }
    if (part.zeroBlocks.length !== blocks || part.digests.byteLength !== blocks * this.#kind.digestLengthBytes) {
      throw new RangeError(`fingerprint part at ${part.offsetBytes} holds ${part.zeroBlocks.length} blocks for ${part.lengthBytes} bytes`);
    }
    if (this.#covered.some((range) => range.offsetBytes < end && part.offsetBytes < range.offsetBytes + range.lengthBytes)) {
      throw new RangeError(`fingerprint part at ${part.offsetBytes} of ${part.lengthBytes} bytes overlaps one given before`);
    }
    const firstBlock = part.offsetBytes / block;
    this.#digests.set(part.digests, firstBlock * this.#kind.digestLengthBytes);
    this.#zeroBlocks.set(part.zeroBlocks, firstBlock);

    const before = this.#covered.map((range) => this.#readyIn(range)).filter((stretch) => stretch.endBytes > stretch.startBytes);
    this.#covered = mergeRange(this.#covered, { offsetBytes: part.offsetBytes, lengthBytes: part.lengthBytes });
    const merged = this.#covered.find((range) => range.offsetBytes <= part.offsetBytes && end <= range.offsetBytes + range.lengthBytes) as ByteRange;
    return subtractStretches(this.#readyIn(merged), before);
  }

  /** The whole disk's fingerprints; only once `complete`. */
  result(): SourceFingerprints {
    if (!this.complete) throw new Error("the disk's fingerprints are not all in");
    return { fingerprints: this.#fingerprints(), zeroBlocks: this.#zeroBlocks };
  }

  /** The disk's fingerprints and zero map so far (blocks not yet in read as zero digests): for `planStretch`. */
  current(): SourceFingerprints {
    return { fingerprints: this.#fingerprints(), zeroBlocks: this.#zeroBlocks };
  }

  #fingerprints(): DiskFingerprints {
    return { ...this.#kind, sizeBytes: this.#sizeBytes, digests: this.#digests };
  }

  /** The whole units inside a covered range (the disk's short last unit counts when the range reaches the end). */
  #readyIn(range: ByteRange): DiskStretch {
    const unit = this.#unitBytes;
    const rangeEnd = range.offsetBytes + range.lengthBytes;
    const startBytes = Math.ceil(range.offsetBytes / unit) * unit;
    const endBytes = rangeEnd === this.#sizeBytes ? rangeEnd : Math.floor(rangeEnd / unit) * unit;
    return { startBytes, endBytes: Math.max(startBytes, endBytes) };
  }
}

/**
 * `planDiskChanges` for one stretch of the disk: the same reads, zero ranges and chunk builds the whole-disk
 * plan has within it. `stretch` must be whole units (see `segmentUnitBytes`) and its fingerprints in.
 */
export function planStretch(input: DiskChangeInput, stretch: DiskStretch): DiskChangePlan {
  const { chunkSizeBytes, current, previous } = input;
  const block = current.fingerprints.blockSizeBytes;
  const { startBytes, endBytes } = stretch;
  if (startBytes % chunkSizeBytes !== 0 || startBytes % block !== 0 || endBytes <= startBytes || endBytes > current.fingerprints.sizeBytes) {
    throw new RangeError(`stretch ${startBytes}..${endBytes} does not start on a chunk and a block of the ${current.fingerprints.sizeBytes}-byte disk`);
  }
  const cut = (fingerprints: DiskFingerprints, sizeBytes: number): DiskFingerprints => {
    const length = Math.max(0, Math.min(endBytes, sizeBytes) - startBytes);
    const first = startBytes / block;
    const count = fingerprintBlockCount(length, block);
    return { ...fingerprints, sizeBytes: length, digests: fingerprints.digests.subarray(first * fingerprints.digestLengthBytes, (first + count) * fingerprints.digestLengthBytes) };
  };
  const first = startBytes / block;
  const here: DiskChangeInput = {
    chunkSizeBytes,
    current: { fingerprints: cut(current.fingerprints, current.fingerprints.sizeBytes), zeroBlocks: current.zeroBlocks.subarray(first, first + fingerprintBlockCount(endBytes - startBytes, block)) },
    ...(previous === undefined
      ? {}
      : {
          previous: {
            sizeBytes: Math.max(0, Math.min(endBytes, previous.sizeBytes) - startBytes),
            // Cut only fingerprints that describe the previous disk: others are refused by planDiskChanges as they are.
            ...(previous.fingerprints === undefined
              ? {}
              : { fingerprints: previous.fingerprints.sizeBytes === previous.sizeBytes && previous.fingerprints.blockSizeBytes === block ? cut(previous.fingerprints, previous.sizeBytes) : previous.fingerprints }),
          },
        }),
  };
  const plan = planDiskChanges(here);
  if (plan.kind !== "read") return plan;
  const shift = (range: ByteRange): ByteRange => ({ offsetBytes: range.offsetBytes + startBytes, lengthBytes: range.lengthBytes });
  const firstChunk = startBytes / chunkSizeBytes;
  return {
    ...plan,
    readRanges: plan.readRanges.map(shift),
    zeroRanges: plan.zeroRanges.map(shift),
    chunks: plan.chunks.map((build) => ({ index: build.index + firstChunk, kind: build.kind })),
  };
}

function mergeRange(ranges: readonly ByteRange[], added: ByteRange): ByteRange[] {
  const all = [...ranges, added].sort((a, b) => a.offsetBytes - b.offsetBytes);
  const merged: ByteRange[] = [];
  for (const range of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.offsetBytes + last.lengthBytes >= range.offsetBytes) {
      last.lengthBytes = Math.max(last.offsetBytes + last.lengthBytes, range.offsetBytes + range.lengthBytes) - last.offsetBytes;
    } else merged.push({ ...range });
  }
  return merged;
}

/** `whole` without the (sorted, disjoint) `taken` stretches. */
function subtractStretches(whole: DiskStretch, taken: readonly DiskStretch[]): DiskStretch[] {
  const left: DiskStretch[] = [];
  let from = whole.startBytes;
  for (const stretch of taken) {
    if (stretch.endBytes <= from || stretch.startBytes >= whole.endBytes) continue;
    if (stretch.startBytes > from) left.push({ startBytes: from, endBytes: stretch.startBytes });
    from = Math.max(from, stretch.endBytes);
  }
  if (from < whole.endBytes) left.push({ startBytes: from, endBytes: whole.endBytes });
  return left;
}
