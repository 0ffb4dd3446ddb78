import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { HostOutputError } from "./host-output-error.js";
import { outputLines } from "./output-lines.js";

test("output lines: numbered from 1, CR of CRLF removed, no extra line for the final newline", () => {
  assert.deepEqual(outputLines("a\r\n\nb\n", "x"), [
    { number: 1, text: "a" },
    { number: 2, text: "" },
    { number: 3, text: "b" },
  ]);
  assert.deepEqual(outputLines("", "x"), []);
});

test("output lines: binary data is refused, naming the line and showing the NUL", () => {
  assert.throws(
    () => outputLines("# Disk DescriptorFile\nKDMV\u0000\u0001", "disk-flat.vmdk"),
    (e: unknown) => e instanceof HostOutputError && e instanceof InvalidInputError && e.problem === "binary data where text was expected" && e.lineNumber === 2 && e.line === "KDMV\\0\u0001" && e.message.startsWith("disk-flat.vmdk: binary data"),
  );
});

test("host output error: long lines are cut in the message but kept whole on the error", () => {
  const line = "x".repeat(1000);
  const e = new HostOutputError("vim-cmd", "odd", { lineNumber: 7, line });
  assert.equal(e.line, line);
  assert.ok(e.message.length < 300);
  assert.match(e.message, /^vim-cmd: odd, line 7: "x{200}…"$/u);
});
