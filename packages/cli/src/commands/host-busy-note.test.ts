import { strict as assert } from "node:assert";
import { test } from "node:test";
import { hostBusyNote } from "./host-busy-note.js";

test("a wait while the host is busy reads the same for a backup's snapshot and a restore's calls, naming what is tried again", () => {
  const wait = { reason: "vim.fault.TaskInProgress: Another task is already in progress.", waitMs: 15_000, nextTry: 2 };
  assert.equal(hostBusyNote({ ...wait, operation: "create", tries: 4 }), "waiting: the host is busy with another task on this VM (vim.fault.TaskInProgress: Another task is already in progress.); taking the snapshot again in 15 s (try 2 of 4)");
  assert.match(hostBusyNote({ ...wait, operation: "register", tries: 5 }), /; registering the VM again in 15 s \(try 2 of 5\)$/u);
  assert.match(hostBusyNote({ ...wait, operation: "unregister", tries: 7 }), /; unregistering the VM again in 15 s \(try 2 of 7\)$/u);
  assert.match(hostBusyNote({ ...wait, operation: "power-on", tries: 4 }), /; powering the VM on again in 15 s \(try 2 of 4\)$/u);
});
