// `vim-cmd vmsvc/snapshot.remove` prints `Remove Snapshot:` and the VM's remaining tree (esxi-facts 0), and
// whether it exits non-zero after a refusal is not known (esxi-facts 1.0). A session stands in for the host
// and answers with chosen texts, so the refusal a host may print without a fault or an exit status can be
// shown exactly.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ExecResult } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { SnapshotOperationError } from "./run-snapshot-errors.js";
import { removeSnapshot, snapshotCreateRemarks } from "./vim-cmd-snapshots.js";

const VM = { vmid: 3, name: "web01" };

/** Two snapshots in a chain, as `snapshot.get` prints them on 7.0 (section 1.3's layout). */
function tree(header: string, ids: number[]): string {
  const lines = [header];
  ids.forEach((id, depth) => {
    const prefix = "--".repeat(depth);
    lines.push(`${prefix}|-${depth === 0 ? "ROOT" : "CHILD"}`);
    for (const [label, value] of [
      ["Snapshot Name        ", `snap-${id}`],
      ["Snapshot Id        ", String(id)],
      ["Snapshot Desciption  ", ""],
      ["Snapshot Created On  ", "5/9/2021 23:50:0"],
      ["Snapshot State       ", "powered on"],
    ]) {
      lines.push(`${prefix}--${label}: ${value}`);
    }
  });
  return `${lines.join("\n")}\n`;
}

function hostAnswering(stdout: string): { exec: (command: ShellCommand) => Promise<ExecResult>; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    exec: async (command) => {
      ran.push(command.text);
      return { stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined };
    },
  };
}

describe("removeSnapshot", () => {
  it("returns the remaining tree when the snapshot is gone from it", async () => {
    const host = hostAnswering(tree("Remove Snapshot:", [1]));
    const remaining = await removeSnapshot(host, VM, 2);
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/snapshot.remove 3 2 false"]);
    assert.deepEqual(
      remaining.roots.map((s) => s.id),
      [1],
    );
  });

  it("accepts the header alone (no snapshot left)", async () => {
    const remaining = await removeSnapshot(hostAnswering("Remove Snapshot:\n"), VM, 2);
    assert.deepEqual(remaining.roots, []);
  });

  it("a remaining tree that still holds the snapshot is a failed removal, even with exit status 0 and no fault", async () => {
    await assert.rejects(removeSnapshot(hostAnswering(tree("Remove Snapshot:", [1, 2])), VM, 2), (error: unknown) => {
      assert.ok(error instanceof SnapshotOperationError);
      assert.equal(error.operation, "remove");
      assert.match(error.message, /`vim-cmd vmsvc\/snapshot\.remove 3 2 false` failed: the host printed the VM's snapshot tree after it with snapshot 2 still in it/u);
      return true;
    });
  });
});

describe("snapshotCreateRemarks", () => {
  it("finds nothing in the header a successful create prints (esxi-facts 1.3), with or without CRLF", () => {
    for (const stdout of ["Create Snapshot:\n", "Create Snapshot:\r\n", "", "\n Create Snapshot: \n\n"]) assert.deepEqual(snapshotCreateRemarks(stdout), [], JSON.stringify(stdout));
  });

  it("returns what the host said under the header (VCL's VIM_SSH.pm quotes such a line)", () => {
    assert.deepEqual(snapshotCreateRemarks("Create Snapshot:\nSnapshot not taken since the state of the virtual machine has not changed since the last snapshot operation.\n"), [
      "Snapshot not taken since the state of the virtual machine has not changed since the last snapshot operation.",
    ]);
    assert.deepEqual(snapshotCreateRemarks("Create Snapshot:\nCreate snapshot failed\n"), ["Create snapshot failed"]);
  });
});

