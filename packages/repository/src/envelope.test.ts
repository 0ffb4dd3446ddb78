import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { EnvelopeKind, chunkEnvelopeBound, openEnvelope, sealChunkInto, sealEnvelope } from "./envelope.js";
import { splitMasterKey } from "./repository-keys.js";

const KEYS = splitMasterKey(randomBytes(64));
const text = (bytes: number): Buffer => Buffer.from("snapshot consolidated on datastore1\n".repeat(Math.ceil(bytes / 36)).slice(0, bytes));

describe("chunk envelopes", () => {
  for (const keys of [undefined, KEYS]) {
    const mode = keys === undefined ? "plain" : "encrypted";
    for (const [name, plain, compressed] of [
      ["incompressible", randomBytes(65536), false],
      ["compressible", text(65536), true],
      ["one byte", Buffer.from([7]), false],
      ["empty", Buffer.alloc(0), false],
    ] as const) {
      it(`${mode}, ${name}: sealed into a shared buffer, stored ${compressed ? "compressed" : "raw"}, opened intact`, () => {
        // Two envelopes back to back in one buffer, as a worker seals a run.
        const bound = chunkEnvelopeBound(plain.byteLength, keys !== undefined);
        const target = Buffer.alloc(2 * bound + 64, 0xee);
        const first = sealChunkInto(target, plain, keys, 1);
        const second = sealChunkInto(target.subarray(first), plain, keys, 3);
        assert.ok(first <= bound && second <= bound);
        for (const [offset, length] of [[0, first], [first, second]] as const) {
          const envelope = target.subarray(offset, offset + length);
          assert.equal(envelope[6], compressed ? 1 : 0, "compression flag");
          assert.equal(envelope[7], keys === undefined ? 0 : 1, "encryption flag");
          if (!compressed) assert.equal(length, bound, "raw chunks take exactly the bound");
          assert.deepEqual(openEnvelope(EnvelopeKind.chunk, envelope, keys, plain.byteLength), plain);
        }
        // zstd may use the rest of its output room as scratch, but never more than the bound.
        assert.ok(target.subarray(first + bound).every((byte) => byte === 0xee), "nothing written past the bound");
      });
    }
  }

  it("a higher level makes compressible data smaller; both open to the same bytes", () => {
    const plain = Buffer.concat(Array.from({ length: 64 }, (_, line) => Buffer.from(`${line * 7919} ${text(40 + (line % 13)).toString()}`)));
    const fast = sealEnvelope(EnvelopeKind.chunk, plain, undefined, 1);
    const small = sealEnvelope(EnvelopeKind.chunk, plain, undefined, 19);
    assert.ok(small.byteLength <= fast.byteLength);
    assert.deepEqual(openEnvelope(EnvelopeKind.chunk, small, undefined, plain.byteLength), plain);
  });

  it("a flipped ciphertext byte of a chunk sealed in place fails authentication", () => {
    const plain = text(4096);
    const target = Buffer.alloc(chunkEnvelopeBound(plain.byteLength, true));
    const length = sealChunkInto(target, plain, KEYS, 1);
    const envelope = target.subarray(0, length);
    envelope[30] = (envelope[30] ?? 0) ^ 1;
    assert.throws(() => openEnvelope(EnvelopeKind.chunk, envelope, KEYS, plain.byteLength), /authentication failed/);
  });
});
