/**
 * Planning stretch by stretch as the fingerprints come in must decide exactly what planning the whole disk
 * decides: the same chunk builds, the same blocks read and zeroed, whatever the parts and their order.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ByteRange, DiskFingerprints } from "@esxbackup/domain";
import { FingerprintAssembler, planStretch, segmentUnitBytes } from "./fingerprint-segments.js";
import type { DiskStretch } from "./fingerprint-segments.js";
import { planDiskChanges } from "./plan-disk-changes.js";
import type { ChunkBuild, DiskChangeInput } from "./plan-disk-changes.js";

const K = 1024;

/** A small seeded generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A disk as one symbol per block: 0 a zero block, anything else the block's content. */
function fingerprintsOf(symbols: number[], sizeBytes: number, block: number): { fingerprints: DiskFingerprints; zeroBlocks: Uint8Array } {
  const digests = Buffer.concat(symbols.map((symbol, i) => createHash("sha1").update(`${symbol}:${Math.min(block, sizeBytes - i * block)}`).digest()));
  return { fingerprints: { algorithm: "sha1", blockSizeBytes: block, digestLengthBytes: 20, sizeBytes, digests }, zeroBlocks: Uint8Array.from(symbols, (symbol) => (symbol === 0 ? 1 : 0)) };
}

function blocksOf(ranges: readonly ByteRange[], block: number): number[] {
  return ranges.flatMap((range) => Array.from({ length: Math.ceil(range.lengthBytes / block) }, (_, k) => range.offsetBytes / block + k));
}

describe("planStretch over the stretches a FingerprintAssembler hands out", () => {
  const cases: { chunk: number; block: number }[] = [
    { chunk: 16 * K, block: 4 * K },
    { chunk: 16 * K, block: 16 * K },
    { chunk: 16 * K, block: 64 * K },
  ];
  for (const { chunk, block } of cases) {
    it(`chunks of ${chunk / K} KiB, blocks of ${block / K} KiB: the whole-disk plan, for 200 random disks and part orders`, () => {
      const random = prng(chunk + block);
      const unit = segmentUnitBytes(chunk, block) as number;
      for (let trial = 0; trial < 200; trial += 1) {
        const sizeBytes = Math.max(1, Math.floor(random() * 40 * 16 * K));
        const blocks = Math.ceil(sizeBytes / block);
        const symbols = Array.from({ length: blocks }, () => (random() < 0.3 ? 0 : 1 + Math.floor(random() * 3)));
        const current = fingerprintsOf(symbols, sizeBytes, block);
        const shape = random();
        let previous: DiskChangeInput["previous"];
        if (shape > 0.2) {
          // Same size, shrunk or grown since, with some blocks different.
          const previousSize = shape < 0.6 ? sizeBytes : Math.max(1, Math.floor(random() * 40 * 16 * K));
          const previousSymbols = Array.from({ length: Math.ceil(previousSize / block) }, (_, i) => (random() < 0.2 ? Math.floor(random() * 4) : (symbols[i] ?? 1)));
          previous = { sizeBytes: previousSize, fingerprints: fingerprintsOf(previousSymbols, previousSize, block).fingerprints };
        }
        const input: DiskChangeInput = { chunkSizeBytes: chunk, current, ...(previous === undefined ? {} : { previous }) };
        const whole = planDiskChanges(input);
        assert.equal(whole.kind, "read");
        if (whole.kind !== "read") return;

        // Parts of random whole-block lengths, handed in a random order.
        const parts: ByteRange[] = [];
        for (let offset = 0; offset < sizeBytes; ) {
          const length = Math.min(sizeBytes - offset, block * (1 + Math.floor(random() * 12)));
          parts.push({ offsetBytes: offset, lengthBytes: length });
          offset += length;
        }
        parts.sort(() => random() - 0.5);
        const assembler = new FingerprintAssembler({ algorithm: "sha1", blockSizeBytes: block }, sizeBytes, unit);
        const stretches: DiskStretch[] = [];
        for (const part of parts) {
          const first = part.offsetBytes / block;
          const count = Math.ceil(part.lengthBytes / block);
          stretches.push(...assembler.add({ ...part, digests: current.fingerprints.digests.subarray(first * 20, (first + count) * 20), zeroBlocks: current.zeroBlocks.subarray(first, first + count) }));
        }
        assert.equal(assembler.complete, true);
        assert.deepEqual(Buffer.from(assembler.result().fingerprints.digests), Buffer.from(current.fingerprints.digests));
        // Every byte in exactly one stretch, each of whole units.
        const sorted = [...stretches].sort((a, b) => a.startBytes - b.startBytes);
        let covered = 0;
        for (const stretch of sorted) {
          assert.equal(stretch.startBytes, covered, `trial ${trial}: stretches cover the disk once`);
          assert.equal(stretch.startBytes % unit, 0);
          covered = stretch.endBytes;
        }
        assert.equal(covered, sizeBytes);

        const builds: ChunkBuild[] = [];
        const reads: ByteRange[] = [];
        const zeros: ByteRange[] = [];
        let zeroBytesSkipped = 0;
        for (const stretch of sorted) {
          const part = planStretch(input, stretch);
          assert.equal(part.kind, "read");
          if (part.kind !== "read") return;
          builds.push(...part.chunks);
          reads.push(...part.readRanges);
          zeros.push(...part.zeroRanges);
          zeroBytesSkipped += part.zeroBytesSkipped;
        }
        assert.deepEqual(builds, whole.chunks, `trial ${trial}: chunk builds`);
        assert.deepEqual(blocksOf(reads, block), blocksOf(whole.readRanges, block), `trial ${trial}: blocks read`);
        assert.equal(reads.reduce((sum, range) => sum + range.lengthBytes, 0), whole.readRanges.reduce((sum, range) => sum + range.lengthBytes, 0));
        assert.deepEqual(blocksOf(zeros, block), blocksOf(whole.zeroRanges, block), `trial ${trial}: blocks zeroed`);
        assert.equal(zeroBytesSkipped, whole.zeroBytesSkipped);
      }
    });
  }

  it("sizes that do not nest have no stretch unit", () => {
    assert.equal(segmentUnitBytes(16 * K, 4 * K), 16 * K);
    assert.equal(segmentUnitBytes(16 * K, 64 * K), 64 * K);
    assert.equal(segmentUnitBytes(24 * K, 16 * K), undefined);
  });

  it("a part that overlaps one given before, is not whole blocks or holds the wrong number of digests is refused", () => {
    const current = fingerprintsOf([1, 2, 3, 4], 16 * K, 4 * K);
    const assembler = new FingerprintAssembler({ algorithm: "sha1", blockSizeBytes: 4 * K }, 16 * K, 8 * K);
    const part = (offset: number, blocks: number): Parameters<FingerprintAssembler["add"]>[0] => ({
      offsetBytes: offset * 4 * K,
      lengthBytes: blocks * 4 * K,
      digests: current.fingerprints.digests.subarray(offset * 20, (offset + blocks) * 20),
      zeroBlocks: current.zeroBlocks.subarray(offset, offset + blocks),
    });
    assert.deepEqual(assembler.add(part(1, 2)), [], "no whole 8 KiB unit yet");
    assert.throws(() => assembler.add(part(2, 2)), /overlaps/);
    assert.throws(() => assembler.add({ ...part(0, 1), offsetBytes: 100 }), /whole blocks/);
    assert.throws(() => assembler.add({ ...part(0, 1), digests: Buffer.alloc(10) }), /holds/);
    assert.deepEqual(assembler.add(part(0, 1)), [{ startBytes: 0, endBytes: 8 * K }]);
    assert.throws(() => assembler.result(), /not all in/);
    assert.deepEqual(assembler.add(part(3, 1)), [{ startBytes: 8 * K, endBytes: 16 * K }]);
    assert.equal(assembler.complete, true);
  });
});
