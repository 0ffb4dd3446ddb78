import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { quoteShellArgument } from "./shell-quote.js";

describe("quoteShellArgument", () => {
  it("every awkward string reaches a POSIX shell's program as one unchanged argument", () => {
    const words = ["plain", "", "with space", "it's", `"double"`, "$HOME $(id) `id`", "a;b|c&d>e<f", "[x]*?", "line\nbreak", "tab\there", "back\\slash", "Ünïcødé 名前 ✓", "'''", "-n"];
    for (const word of words) {
      // printf prints its second argument verbatim; $# proves it arrived as exactly one argument.
      const out = execFileSync("/bin/sh", ["-c", `set -- ${quoteShellArgument(word)}; printf '%s|%s' "$#" "$1"`]).toString("utf8");
      assert.equal(out, `1|${word}`, JSON.stringify(word));
    }
  });

  it("refuses a NUL byte, which no argument can carry", () => {
    assert.throws(() => quoteShellArgument("a\0b"), /NUL/u);
  });
});
