import { strict as assert } from "node:assert";
import { test } from "node:test";
import { checkHostPythonScript } from "./host-python.js";

test("a script is held to the host release's Python: syntax, modules, functions, methods, subprocess keywords", async () => {
  const script = [
    "import math, subprocess, shlex",
    "from functools import cache",
    "import dataclasses",
    "name = 'x'.removeprefix('y')",
    "n = math.prod([1, 2])",
    "subprocess.run(['true'], capture_output=True)",
    "print(shlex.quote(name), n)",
  ].join("\n");
  assert.deepEqual(
    (await checkHostPythonScript(script, "7.0")).map((p) => [p.line, p.kind]),
    [
      [2, "function"],
      [4, "method"],
    ],
  );
  assert.deepEqual(
    (await checkHostPythonScript(script, "6.7")).map((p) => [p.line, p.kind]),
    [
      [2, "function"],
      [3, "module"],
      [4, "method"],
      [5, "function"],
      [6, "keyword"],
    ],
  );
  assert.deepEqual(await checkHostPythonScript(script, "3.11.0"), []);
  const syntax = await checkHostPythonScript("x = 1\nif (y := x):\n    pass\n", "3.7.0");
  assert.deepEqual(syntax, [{ line: 2, kind: "syntax", message: "Assignment expressions are only supported in Python 3.8 and greater" }]);
  assert.deepEqual(await checkHostPythonScript("print(f'{1}')\n", "6.7").then((p) => p.map((x) => x.kind)), ["syntax"]);
  assert.deepEqual(await checkHostPythonScript("print(f'{1}')\n", "8.0"), []);
  await assert.rejects(checkHostPythonScript("", "2.7"), /not an ESXi release or Python 3 version/u);
});
