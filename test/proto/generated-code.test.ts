/**
 * Generated code is committed and never edited: the test command fails when proto/src/gen differs from a
 * fresh generation (proto/scripts/check-generated.sh).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const check = join(root, "proto/scripts/check-generated.sh");

describe("generated proto code", () => {
  it("matches a fresh generation", () => {
    const result = spawnSync("bash", [check], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
  });

  it("is reported stale when it differs", () => {
    const copy = mkdtempSync(join(tmpdir(), "esxbackup-gen-"));
    try {
      cpSync(join(root, "proto/src/gen"), copy, { recursive: true });
      const file = join(copy, "esxbackup/transport/v1/transport.ts");
      writeFileSync(file, readFileSync(file, "utf8").replace("bytesRead", "bytesReadByHand"));
      const result = spawnSync("bash", [check, copy], { encoding: "utf8" });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /proto\/src\/gen is stale/);
      assert.match(result.stderr, /bytesReadByHand/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
