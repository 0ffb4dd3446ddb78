import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { checkTags } from "./tag-option.js";

test("--tag: tags as given are kept in order", () => {
  assert.deepEqual(checkTags(["daily", "web 01", "é"]), ["daily", "web 01", "é"]);
  assert.deepEqual(checkTags([]), []);
});

for (const [tags, problem] of [
  [[""], /empty tag/u],
  [["  "], /empty tag/u],
  [["a\nb"], /"a\\nb" holds a control character/u],
  [["tab\there"], /control character/u],
  [["daily", "daily"], /"daily" is given twice/u],
] as const) {
  test(`--tag: ${JSON.stringify(tags)} is refused, naming the option`, () => {
    assert.throws(() => checkTags(tags), (error: unknown) => error instanceof InvalidInputError && error.field === "--tag" && problem.test(error.message));
  });
}
