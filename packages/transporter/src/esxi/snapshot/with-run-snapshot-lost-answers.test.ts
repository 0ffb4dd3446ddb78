// Answers the host never sent: a create or remove that happened while the connection died, and a snapshot
// someone else removed during the run. A real host cannot be made to drop an answer at an exact point, so
// this uses an in-memory host behind the session port (exec), printing vim-cmd's formats (esxi-facts 1.3).
import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { ExecResult } from "../ssh/esxi-ssh-session.js";
import { SshConnectionLostError } from "../ssh/esxi-ssh-errors.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { SnapshotOperationError } from "./run-snapshot-errors.js";
import type { SnapshotSession } from "./vim-cmd-snapshots.js";
import { withRunSnapshot } from "./with-run-snapshot.js";

const VM = { vmid: 7, name: "vm" };

/** One VM's linear snapshot chain; `loseAnswerOf` makes the next such command happen but its answer vanish. */
class InMemorySnapshotHost implements SnapshotSession {
  snapshots: { name: string; id: number }[] = [];
  loseAnswerOf: "snapshot.create" | "snapshot.remove" | undefined;
  /** A create that takes no snapshot and says so under its header, with exit status 0 and no fault. */
  createRefusal: string | undefined;
  /** The same, for quiesced creates only. */
  quiescedCreateRefusal: string | undefined;
  #lastId = 0;

  async exec(command: ShellCommand): Promise<ExecResult> {
    const text = command.text;
    const ok = (stdout: string): ExecResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined });
    const op = /vmsvc\/(\S+)/u.exec(text)?.[1];
    let out: string;
    if (op === "power.getstate") out = "Retrieved runtime info\nPowered on\n";
    else if (op === "snapshot.get") out = `Get Snapshot:\n${this.#tree()}`;
    else if (op === "snapshot.create") {
      const name = /esxbackup-run-[\w-]+/u.exec(text)?.[0] ?? assert.fail(text);
      const refusal = this.createRefusal ?? (/ 1$/u.test(text) ? this.quiescedCreateRefusal : undefined);
      if (refusal === undefined) this.snapshots.push({ name, id: ++this.#lastId });
      out = `Create Snapshot:\n${refusal === undefined ? "" : `${refusal}\n`}`;
    } else if (op === "snapshot.remove") {
      const id = Number(/snapshot\.remove \d+ (\d+) false/u.exec(text)?.[1] ?? assert.fail(text));
      this.snapshots = this.snapshots.filter((s) => s.id !== id);
      out = `Remove Snapshot:\n${this.#tree()}`;
    } else return assert.fail(`unexpected command ${text}`);
    if (this.loseAnswerOf === op) {
      this.loseAnswerOf = undefined;
      throw new SshConnectionLostError("host:22", `while \`${text}\` was running`);
    }
    return ok(out);
  }

  #tree(): string {
    return this.snapshots
      .map((s, depth) => {
        const d = "--".repeat(depth + 1);
        return [`${"--".repeat(depth)}|-${depth === 0 ? "ROOT" : "CHILD"}`, `${d}Snapshot Name        : ${s.name}`, `${d}Snapshot Id        : ${s.id}`, `${d}Snapshot Desciption  : `, `${d}Snapshot Created On  : 12/1/2026 7:4:0`, `${d}Snapshot State       : powered on`].join("\n");
      })
      .map((block) => `${block}\n`)
      .join("");
  }
}

test("a create whose answer was lost: the snapshot it made is found by name and removed, and the loss is reported", async () => {
  const host = new InMemorySnapshotHost();
  host.loseAnswerOf = "snapshot.create";
  await assert.rejects(withRunSnapshot(host, VM, { runId: "run-0001" }, async () => assert.fail("no work")), SshConnectionLostError);
  assert.deepEqual(host.snapshots, []);
});

test("a remove whose answer was lost: the tree read again shows it gone, and the run succeeds", async () => {
  const host = new InMemorySnapshotHost();
  const result = await withRunSnapshot(host, VM, { runId: "run-0002" }, async () => {
    host.loseAnswerOf = "snapshot.remove";
    return 42;
  });
  assert.equal(result, 42);
  assert.deepEqual(host.snapshots, []);
});

test("a snapshot someone else removed during the run: the run fails, since the disks may have changed under it", async () => {
  const host = new InMemorySnapshotHost();
  await assert.rejects(
    withRunSnapshot(host, VM, { runId: "run-0003" }, async () => {
      host.snapshots = [];
    }),
    (error) => error instanceof SnapshotOperationError && /removed by someone else during the run/u.test(error.message),
  );
});

test("a create that printed why it took no snapshot (exit status 0, no fault): the run fails quoting the host, and nothing is left", async () => {
  const host = new InMemorySnapshotHost();
  host.createRefusal = "Snapshot not taken since the state of the virtual machine has not changed since the last snapshot operation.";
  await assert.rejects(
    withRunSnapshot(host, VM, { runId: "run-0004" }, async () => assert.fail("no work")),
    (error) =>
      error instanceof SnapshotOperationError &&
      error.operation === "create" &&
      error.message.includes('the host printed "Snapshot not taken since the state of the virtual machine has not changed since the last snapshot operation." and its tree holds 0 snapshots of that name'),
  );
  assert.deepEqual(host.snapshots, []);
});

test("a quiesced create refused in words (no fault): with the fallback, the snapshot is taken unquiesced and the words are the reason told", async () => {
  const host = new InMemorySnapshotHost();
  const words = "Quiesce failed: the guest did not answer in time.";
  host.quiescedCreateRefusal = words;
  const events: { type: string; reason?: string; quiesced?: boolean }[] = [];
  await withRunSnapshot(host, VM, { runId: "run-0005", quiesce: true, quiesceFallback: true, onEvent: (e) => events.push(e) }, async (s) => {
    assert.equal(s.quiesced, false);
    assert.equal(host.snapshots.length, 1);
  });
  assert.deepEqual(events.map((e) => e.type), ["quiesce-failed", "created", "removed"]);
  assert.equal(events[0]?.reason, words);
  assert.deepEqual(host.snapshots, []);
  // Without the fallback the same refusal fails the run, quoting the host.
  await assert.rejects(
    withRunSnapshot(host, VM, { runId: "run-0006", quiesce: true }, async () => assert.fail("no work")),
    (error) => error instanceof SnapshotOperationError && error.hostSaid.join(" ") === words && error.message.includes(JSON.stringify(words)),
  );
  assert.deepEqual(host.snapshots, []);
});
