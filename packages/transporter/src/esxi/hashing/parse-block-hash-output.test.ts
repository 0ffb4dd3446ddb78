import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { BlockHashOutputError } from "./block-hash-output-error.js";
import type { BlockHashRequest } from "./block-hash-request.js";
import { parseBlockHashOutput } from "./parse-block-hash-output.js";

const KIB = 1024;
const request: BlockHashRequest = { path: "/vmfs/volumes/ds/v/v-flat.vmdk", algorithm: "md5", blockSizeBytes: 4 * KIB, offsetBytes: 0, lengthBytes: 2 * 4 * KIB + 100 };
const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex");
const a = md5(Buffer.alloc(4 * KIB, 1));
const b = md5(Buffer.alloc(100, 2));

function error(output: string, req: BlockHashRequest = request): BlockHashOutputError {
  try {
    parseBlockHashOutput(output, req);
  } catch (caught) {
    assert.ok(caught instanceof BlockHashOutputError, String(caught));
    return caught;
  }
  assert.fail(`accepted ${JSON.stringify(output)}`);
}

describe("parseBlockHashOutput", () => {
  it("reads one digest or Z per block; a zero block gets the digest of its zero bytes", () => {
    const parsed = parseBlockHashOutput(`${a}\nZ\n${b}\n`, request);
    assert.deepEqual([...parsed.zeroBlocks], [0, 1, 0]);
    assert.equal(parsed.digests.toString("hex"), a + md5(Buffer.alloc(4 * KIB)) + b);
  });

  it("a zero tail gets the digest of the tail's length, not of a whole block", () => {
    const parsed = parseBlockHashOutput(`${a}\n${a}\nZ\n`, request);
    assert.equal(parsed.digests.subarray(32).toString("hex"), md5(Buffer.alloc(100)));
  });

  it("refuses, quoting the line, anything but a digest of the algorithm's length or Z", () => {
    const table: [string, number, RegExp][] = [
      [`${a}\nz\n${b}\n`, 2, /expected a md5 digest .* \(got "z"\)/u],
      [`${a}\n${a.toUpperCase()}\n${b}\n`, 2, /got "[0-9A-F]{32}"/u],
      [`${a}\n${a}0\n${b}\n`, 2, /lowercase hex digits\) or Z/u],
      [`${a}  -\n${a}\n${b}\n`, 1, /got "[0-9a-f]{32} {2}-"/u],
      [`${a}\r\n${a}\n${b}\n`, 1, /\\r/u],
      [`${a}\n\n${b}\n`, 2, /got ""/u],
      [`Traceback (most recent call last):\n`, 1, /Traceback/u],
    ];
    for (const [output, lineNumber, message] of table) {
      const caught = error(output);
      assert.equal(caught.lineNumber, lineNumber, output);
      assert.match(caught.message, message);
      assert.equal(caught.code, "host_output_invalid");
    }
  });

  it("refuses the digest of empty input, what md5sum prints when dd failed before it", () => {
    const caught = error(`${a}\n${md5(Buffer.alloc(0))}\n${b}\n`);
    assert.equal(caught.lineNumber, 2);
    assert.match(caught.message, /the host read nothing for this block/u);
  });

  it("refuses too few lines, too many, and a last line cut off before its newline", () => {
    assert.match(error(`${a}\n${a}\n`).message, /line 3: expected 3 lines, one per block, got 2$/u);
    assert.match(error("").message, /got 0/u);
    assert.match(error(`${a}\n${a}\n${b}\n${b}\n`).message, /line 4: expected 3 lines/u);
    const cut = error(`${a}\n${a}\n${b.slice(0, 20)}`);
    assert.equal(cut.lineNumber, 3);
    assert.match(cut.message, /without a newline/u);
  });

  it("expects the digest length of the request's algorithm", () => {
    const sha1 = createHash("sha1").update("x").digest("hex");
    const one = { ...request, lengthBytes: 4 * KIB };
    assert.equal(parseBlockHashOutput(`${sha1}\n`, { ...one, algorithm: "sha1" }).digests.toString("hex"), sha1);
    assert.match(error(`${sha1}\n`, one).message, /md5 digest/u);
  });
});
