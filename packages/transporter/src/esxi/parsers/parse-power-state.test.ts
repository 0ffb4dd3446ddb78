import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parsePowerState } from "./parse-power-state.js";

test("power.getstate: the three states (esxi-facts 1.2, verbatim)", () => {
  assert.equal(parsePowerState(fixtureText("power-getstate-on-verbatim.txt")), "poweredOn");
  assert.equal(parsePowerState(fixtureText("power-getstate-off-verbatim.txt")), "poweredOff");
  assert.equal(parsePowerState(fixtureText("power-getstate-suspended-verbatim.txt")), "suspended");
  assert.equal(parsePowerState("Powered on  \r\n"), "poweredOn");
});

const malformed: [string, string, number | undefined][] = [
  ["empty output", "", undefined],
  ["an unknown state", "Retrieved runtime info\nPowering on\n", 2],
  ["a fault", '(vim.fault.NotFound) {\n   msg = "Unable to find a VM corresponding to "2""\n}\n', 1],
];
for (const [what, input, lineNumber] of malformed) {
  test(`power.getstate refuses ${what}`, () => {
    assert.throws(
      () => parsePowerState(input),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber,
    );
  });
}
