import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { configFileNameProblem } from "./config-file-name.js";

describe("configFileNameProblem", () => {
  for (const good of ["web 01.vmx", "web01.nvram", "a..b.vmsd", "été.vmxf"]) {
    it(`accepts ${JSON.stringify(good)}`, () => assert.equal(configFileNameProblem(good), undefined));
  }
  const bad: [string, RegExp][] = [
    ["", /empty/],
    [".", /names a folder/],
    ["..", /names a folder/],
    ["../x.vmx", /path separator/],
    ["dir/x.vmx", /path separator/],
    ["dir\\x.vmx", /path separator/],
    ["x\n.vmx", /control character/],
    ["x".repeat(256), /longer than 255 bytes/],
  ];
  for (const [name, problem] of bad) {
    it(`refuses ${JSON.stringify(name.slice(0, 20))}`, () => assert.match(configFileNameProblem(name) ?? "", problem));
  }
});
