// Captures of vim-cmd's snapshot trees from real hosts (fixtures/corpus, sources in fixtures/corpus/SOURCES.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { parseSnapshotTree } from "./parse-snapshot-tree.js";

test("snapshot corpus: ESXi 5.5 U1 snapshot.revert, a description of two lines", () => {
  const file = "snapshot-revert-5.5-multiline-description-verbatim.txt";
  assert.deepEqual(parseSnapshotTree(fixtureText(`corpus/${file}`), file), {
    operation: "revert",
    roots: [{ name: "prepared for install", id: 3, description: "clush configured\ntmp and all traces of mapr removed", createdAt: new Date("2014-08-21T22:00:23Z"), state: "poweredOff", children: [] }],
  });
});

test("snapshot corpus: ESXi 6.5 snapshot.revert, a child under the root, unpadded times", () => {
  const file = "snapshot-revert-6.5-nested-verbatim.txt";
  assert.deepEqual(parseSnapshotTree(fixtureText(`corpus/${file}`), file), {
    operation: "revert",
    roots: [
      {
        name: "snap0",
        id: 5,
        description: "snap0",
        createdAt: new Date("2017-11-29T23:59:06Z"),
        state: "poweredOn",
        children: [{ name: "finish_naigos_install", id: 6, description: "install done", createdAt: new Date("2017-11-30T00:00:04Z"), state: "poweredOn", children: [] }],
      },
    ],
  });
});
