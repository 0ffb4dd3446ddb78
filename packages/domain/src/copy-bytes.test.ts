// copyBytes: the same bytes as a plain copy, for every alignment of source and target, lengths around the
// staging threshold and across several staging pieces, between shared and ordinary memory either way; nothing
// outside the copied range changes, and a copy that does not fit changes nothing.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { copyBytes } from "./copy-bytes.js";

const LENGTHS = [0, 1, 511, 512, 4099, 65536, 65541, 3 * 65536 + 7];
const CAPACITY = 4 * 65536 + 64;

function memory(shared: boolean, bytes: number): Uint8Array {
  return new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

for (const [sourceShared, targetShared] of [
  [false, true],
  [true, false],
  [false, false],
  [true, true],
] as const) {
  test(`copyBytes from ${sourceShared ? "shared" : "ordinary"} to ${targetShared ? "shared" : "ordinary"} memory equals a plain copy at every alignment`, () => {
    const source = memory(sourceShared, CAPACITY);
    source.set(randomBytes(CAPACITY));
    const before = randomBytes(CAPACITY);
    const target = memory(targetShared, CAPACITY);
    for (const length of LENGTHS) {
      for (let sourceOffset = 0; sourceOffset < 8; sourceOffset += 1) {
        for (let targetStart = 0; targetStart < 8; targetStart += 1) {
          target.set(before);
          const piece = source.subarray(sourceOffset + 3, sourceOffset + 3 + length);
          copyBytes(piece, target, targetStart + 5);
          const expected = Buffer.from(before);
          expected.set(piece, targetStart + 5);
          assert.ok(Buffer.from(target).equals(expected), `${length} bytes from offset ${sourceOffset + 3} to ${targetStart + 5}`);
        }
      }
    }
  });
}

test("copyBytes into a view that does not start its buffer lands at the view's offset", () => {
  const shared = new SharedArrayBuffer(70_000);
  const view = new Uint8Array(shared, 13, 69_000);
  const source = randomBytes(66_000).subarray(1);
  copyBytes(source, view, 100);
  assert.ok(Buffer.from(shared, 113, source.length).equals(source));
  assert.ok(Buffer.from(shared, 0, 113).equals(Buffer.alloc(113)));
});

test("copyBytes refuses a copy past the target's end and writes nothing, staged or not", () => {
  for (const length of [1000, 200_000]) {
    const target = memory(true, 150_000);
    assert.throws(() => copyBytes(randomBytes(length + 1).subarray(1), target, 150_000 - length + 8), RangeError);
    assert.ok(Buffer.from(target).equals(Buffer.alloc(150_000)), `${length} bytes: nothing written`);
  }
});
