import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { chunksOverlapping, parseChangedRanges } from "./changed-ranges.js";
import { InvalidInputError } from "./invalid-input-error.js";

describe("parseChangedRanges", () => {
  it("reads ranges, skipping blanks and comments", () => {
    const text = "# changed\n0 65536\n\n  1048576   4096  \n#x\r\n131072 1\r\n";
    assert.deepEqual(parseChangedRanges(text, "list"), [
      { offsetBytes: 0, lengthBytes: 65536 },
      { offsetBytes: 1048576, lengthBytes: 4096 },
      { offsetBytes: 131072, lengthBytes: 1 },
    ]);
  });

  for (const bad of ["0x10 5", "-1 5", "1", "1 2 3", "a b"]) {
    it(`rejects ${JSON.stringify(bad)} naming the file and line`, () => {
      assert.throws(() => parseChangedRanges(`# ok\n${bad}\n`, "changes.txt"), (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.match(error.message, /^changes\.txt line 2: /);
        return true;
      });
    });
  }
});

describe("parseChangedRanges with the disk size", () => {
  it("accepts a range ending exactly at the end and refuses one past it, naming the line", () => {
    assert.deepEqual(parseChangedRanges("0 100\n", "list", { diskSizeBytes: 100 }), [{ offsetBytes: 0, lengthBytes: 100 }]);
    assert.throws(
      () => parseChangedRanges("0 10\n# c\n95 6\n", "list", { diskSizeBytes: 100 }),
      /^InvalidInputError: list line 3: the range 95\+6 ends at byte 101, past the end of the 100-byte disk$/,
    );
  });
});

describe("chunksOverlapping", () => {
  const table: [string, { offsetBytes: number; lengthBytes: number }[], number[]][] = [
    ["nothing", [], []],
    ["inside one chunk", [{ offsetBytes: 10, lengthBytes: 5 }], [0]],
    ["ending exactly at a boundary", [{ offsetBytes: 0, lengthBytes: 100 }], [0]],
    ["straddling a boundary", [{ offsetBytes: 99, lengthBytes: 2 }], [0, 1]],
    ["overlapping ranges merged", [{ offsetBytes: 150, lengthBytes: 100 }, { offsetBytes: 120, lengthBytes: 10 }], [1, 2]],
    ["clipped at the end of the disk", [{ offsetBytes: 320, lengthBytes: 10_000 }], [3]],
    ["beyond the disk", [{ offsetBytes: 400, lengthBytes: 10 }], []],
    ["empty range", [{ offsetBytes: 50, lengthBytes: 0 }], []],
  ];
  for (const [name, ranges, expected] of table) {
    it(name, () => assert.deepEqual(chunksOverlapping(ranges, 100, 350), expected));
  }
});
