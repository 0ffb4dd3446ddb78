// The host-side writer must run on the oldest Python a supported host ships (3.5 on ESXi 6.7).
import { strict as assert } from "node:assert";
import { it } from "node:test";
import { checkHostPythonScript } from "@esxbackup/esxi-simulator";
import { FLAT_WRITER_PYTHON_SCRIPT } from "./flat-writer-python-script.js";

it("the flat-file writer is valid for the Python of ESXi 6.7, 7.0 and 8.0", async () => {
  for (const release of ["6.7", "7.0", "8.0"]) assert.deepEqual(await checkHostPythonScript(FLAT_WRITER_PYTHON_SCRIPT, release), [], release);
});
