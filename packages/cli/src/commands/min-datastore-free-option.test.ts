import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { parseMinDatastoreFree } from "./min-datastore-free-option.js";

test("--min-datastore-free takes a share, a size, or 0", () => {
  assert.deepEqual(parseMinDatastoreFree("5%"), { percent: 5 });
  assert.deepEqual(parseMinDatastoreFree(" 12.5 % "), { percent: 12.5 });
  assert.deepEqual(parseMinDatastoreFree("0%"), { percent: 0 });
  assert.deepEqual(parseMinDatastoreFree("20G"), { bytes: 20 * 1024 ** 3 });
  assert.deepEqual(parseMinDatastoreFree("512M"), { bytes: 512 * 1024 ** 2 });
  assert.deepEqual(parseMinDatastoreFree("0"), { bytes: 0 });
});

test("--min-datastore-free refuses what is not a share below 100 % or a size, naming the option", () => {
  for (const text of ["", "100%", "150%", "-5%", "5%%", "five", "20T", "1.5G", "5 percent"]) {
    assert.throws(() => parseMinDatastoreFree(text), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError, `${JSON.stringify(text)}: ${String(error)}`);
      assert.match(error.message, /--min-datastore-free/u);
      return true;
    });
  }
});
