import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { runIdOfSnapshotName, runSnapshotName } from "./run-snapshot-name.js";

test("a run's snapshot name carries its id and is read back", () => {
  assert.equal(runSnapshotName("01HZX3-run_7"), "esxbackup-run-01HZX3-run_7");
  assert.equal(runIdOfSnapshotName("esxbackup-run-01HZX3-run_7"), "01HZX3-run_7");
});

test("names a user could give are not ours", () => {
  for (const name of ["esxbackup-run-", "esxbackup-run-ab", "esxbackup-run-abcd ", " esxbackup-run-abcd", "Esxbackup-run-abcd", "esxbackup-run-abcd;x", "before upgrade", "esxbackup-run-abc d", "esxbackup-run-abcd\nx"]) {
    assert.equal(runIdOfSnapshotName(name), undefined, JSON.stringify(name));
  }
});

test("a run id that is not a plain token is refused", () => {
  for (const id of ["", "abc", "a b c d", "abcd$", "-abcd", "x".repeat(65), "ab'cd"]) {
    assert.throws(() => runSnapshotName(id), InvalidInputError, JSON.stringify(id));
  }
});
