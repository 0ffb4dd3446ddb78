import { strict as assert } from "node:assert";
import { test } from "node:test";
import { chooseFlatWriteMethod } from "./choose-flat-write-method.js";
import type { FlatWriteMethod } from "./host-flat-writer.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";

const python3 = { command: "python3", version: { major: 3, minor: 8, patch: 20 }, versionText: "Python 3.8.20" };
const fullDd = { dd: true, ddNotrunc: true, wc: true };
const ddWithoutConv = { dd: true, ddNotrunc: false, wc: true };
const noDd = { dd: false, ddNotrunc: false, wc: true };

const cases: { name: string; python: typeof python3 | undefined; tools: typeof fullDd; requested?: FlatWriteMethod; expected: FlatWriteMethod | RegExp }[] = [
  { name: "Python first", python: python3, tools: fullDd, expected: { kind: "python", interpreter: "python3" } },
  { name: "Python whatever dd lacks", python: python3, tools: noDd, expected: { kind: "python", interpreter: "python3" } },
  { name: "dd with conv=notrunc without Python", python: undefined, tools: fullDd, expected: { kind: "dd" } },
  { name: "dd asked for and able", python: python3, tools: fullDd, requested: { kind: "dd" }, expected: { kind: "dd" } },
  { name: "no Python, dd without conv=notrunc", python: undefined, tools: ddWithoutConv, expected: /no Python 3, and its busybox dd does not take conv=notrunc .*truncates.*nothing was changed/u },
  { name: "no Python, no dd", python: undefined, tools: noDd, expected: /no Python 3, and its busybox has no dd/u },
  { name: "dd asked for on a host whose dd cannot", python: python3, tools: ddWithoutConv, requested: { kind: "dd" }, expected: /asked to write with dd although the host has python3/u },
];

for (const c of cases) {
  test(`flat write method: ${c.name}`, () => {
    const choose = (): FlatWriteMethod => chooseFlatWriteMethod({ python: c.python, tools: c.tools }, c.requested);
    if (c.expected instanceof RegExp) {
      const pattern = c.expected;
      assert.throws(choose, (e: unknown) => e instanceof HostRestoreRefusedError && e.refusal === "host-cannot-write" && e.field === "host" && pattern.test(e.message));
    } else {
      assert.deepEqual(choose(), c.expected);
    }
  });
}
