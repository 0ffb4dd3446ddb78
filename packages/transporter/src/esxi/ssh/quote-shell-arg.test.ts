// Quoting for busybox ash: a table of exact quotings, then every awkward name through the real busybox ash
// of this machine (the simulator's shell; ESXi's is busybox ash too), which must hand it back byte for byte.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { AWKWARD_NAMES } from "./awkward-names.js";
import { quoteShellArg } from "./quote-shell-arg.js";
import { sh, shellCommand } from "./shell-command.js";

test("quotes exactly as expected", () => {
  const table: [string, string][] = [
    ["plain", "plain"],
    ["/vmfs/volumes/datastore1/vm-1/vm-1.vmx", "/vmfs/volumes/datastore1/vm-1/vm-1.vmx"],
    ["", "''"],
    ["a b", "'a b'"],
    ["it's", `'it'\\''s'`],
    ["'", `''\\'''`],
    ["a=b", "'a=b'"],
    ["~root", "'~root'"],
    ["$HOME", "'$HOME'"],
    ["line\nbreak", "'line\nbreak'"],
  ];
  for (const [input, quoted] of table) assert.equal(quoteShellArg(input), quoted, JSON.stringify(input));
});

test("refuses a NUL byte instead of truncating the argument", () => {
  assert.throws(() => quoteShellArg("a\0b"), InvalidInputError);
});

test("busybox ash hands every awkward name back unchanged", () => {
  const command = shellCommand(["printf", "%s\\0", ...AWKWARD_NAMES]);
  const out = execFileSync("/bin/busybox", ["sh", "-c", command.text]);
  assert.deepEqual(out.toString("utf8").split("\0").slice(0, -1), AWKWARD_NAMES);
});

test("sh`…` quotes interpolations, spreads arrays and inserts built commands as they are", () => {
  const name = "a b'c";
  const inner = sh`cat ${name}`;
  assert.equal(sh`ls -l ${["x y", "z"]} ${42} | ${inner}`.text, `ls -l 'x y' z 42 | cat 'a b'\\''c'`);
  const out = execFileSync("/bin/busybox", ["sh", "-c", sh`printf '%s|' ${AWKWARD_NAMES}`.text]);
  assert.equal(out.toString("utf8"), AWKWARD_NAMES.map((n) => `${n}|`).join(""));
});

test("a ShellCommand cannot be made from raw text outside the builders", () => {
  const Ctor = sh`true`.constructor as new (text: string, key: symbol) => unknown;
  assert.throws(() => new Ctor("rm -rf /", Symbol("ShellCommand builder")), TypeError);
});
