// Answers the host never sent: a create or remove that happened while the connection died, and a snapshot
// someone else removed during the run; a host busy with another task on the VM for a given number of tries.
// A real host cannot be made to drop an answer at an exact point, so this uses an in-memory host behind the
// session port (exec), printing vim-cmd's formats (esxi-facts 1.3, 1.10).
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ManualScheduler } from "@esxbackup/domain";
import type { ExecResult } from "../ssh/esxi-ssh-session.js";
import { SshConnectionLostError } from "../ssh/esxi-ssh-errors.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { RunSnapshotLeftBehindError, SnapshotOperationError } from "./run-snapshot-errors.js";
import type { SnapshotSession } from "./vim-cmd-snapshots.js";
import { withRunSnapshot, type RunSnapshotEvent } from "./with-run-snapshot.js";

const VM = { vmid: 7, name: "vm" };

/** One VM's linear snapshot chain; `loseAnswerOf` makes the next such command happen but its answer vanish. */
class InMemorySnapshotHost implements SnapshotSession {
  snapshots: { name: string; id: number }[] = [];
  loseAnswerOf: "snapshot.create" | "snapshot.remove" | undefined;
  /** A create that takes no snapshot and says so under its header, with exit status 0 and no fault. */
  createRefusal: string | undefined;
  /** The same, for quiesced creates only. */
  quiescedCreateRefusal: string | undefined;
  /** How many of the next such commands another task on the VM makes the host refuse (TaskInProgress). */
  busyFor: Partial<Record<"snapshot.create" | "snapshot.remove", number>> = {};
  /** Every snapshot.create / snapshot.remove sent, in order. */
  readonly sent: string[] = [];
  #lastId = 0;

  async exec(command: ShellCommand): Promise<ExecResult> {
    const text = command.text;
    const ok = (stdout: string): ExecResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined });
    const op = /vmsvc\/(\S+)/u.exec(text)?.[1];
    let out: string;
    if (op === "snapshot.create" || op === "snapshot.remove") {
      this.sent.push(op);
      const busy = this.busyFor[op] ?? 0;
      if (busy > 0) {
        this.busyFor[op] = busy - 1;
        const fault = ["(vim.fault.TaskInProgress) {", "   faultCause = (vmodl.MethodFault) null,", "   faultMessage = <unset>,", "   task = 'vim.Task:haTask-7-vim.VirtualMachine.createSnapshot-12'", '   msg = "Another task is already in progress."', "}", ""];
        return { stdout: Buffer.from(fault.join("\n")), stderr: Buffer.alloc(0), exitCode: 1, signal: undefined };
      }
    }
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

/** Runs `run` while firing the scheduler's waits one at a time as they come, counting them. */
async function firingWaits<T>(scheduler: ManualScheduler, run: Promise<T>): Promise<{ result: PromiseSettledResult<T>; waits: number }> {
  let waits = 0;
  let settled = false;
  const done = run.then(
    (value): PromiseSettledResult<T> => ({ status: "fulfilled", value }),
    (reason: unknown): PromiseSettledResult<T> => ({ status: "rejected", reason }),
  );
  void done.then(() => (settled = true));
  while (!settled) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (scheduler.pending > 0) {
      waits++;
      scheduler.fire();
    }
  }
  return { result: await done, waits };
}

const busyEvents = (events: RunSnapshotEvent[]): string[] => events.flatMap((e) => (e.type === "host-busy" ? [`${e.operation} ${e.waitMs} ${e.nextTry}/${e.tries}`] : []));

test("a create refused while another task holds the VM is tried again after a wait, said in an event, and the run goes on", async () => {
  const host = new InMemorySnapshotHost();
  host.busyFor = { "snapshot.create": 2 };
  const scheduler = new ManualScheduler();
  const events: RunSnapshotEvent[] = [];
  const { result, waits } = await firingWaits(scheduler, withRunSnapshot(host, VM, { runId: "run-0101", scheduler, onEvent: (e) => events.push(e) }, async (s) => s.snapshot.name));
  assert.deepEqual(result, { status: "fulfilled", value: "esxbackup-run-run-0101" });
  assert.equal(waits, 2);
  assert.deepEqual(busyEvents(events), ["create 15000 2/4", "create 30000 3/4"]);
  const first = events[0];
  assert.ok(first?.type === "host-busy" && first.reason === "vim.fault.TaskInProgress: Another task is already in progress.", JSON.stringify(first));
  assert.deepEqual(host.sent, ["snapshot.create", "snapshot.create", "snapshot.create", "snapshot.remove"]);
  assert.deepEqual(host.snapshots, []);
});

test("a create still refused after the last try fails with the host's fault, and nothing of ours is left", async () => {
  const host = new InMemorySnapshotHost();
  host.busyFor = { "snapshot.create": 10 };
  const scheduler = new ManualScheduler();
  const events: RunSnapshotEvent[] = [];
  const { result, waits } = await firingWaits(scheduler, withRunSnapshot(host, VM, { runId: "run-0102", scheduler, onEvent: (e) => events.push(e) }, async () => assert.fail("no work")));
  assert.ok(result.status === "rejected" && result.reason instanceof SnapshotOperationError && result.reason.fault?.name === "TaskInProgress" && /Another task is already in progress/u.test(result.reason.message));
  assert.equal(waits, 3);
  assert.equal(host.sent.length, 4, "four tries, then given up");
  assert.deepEqual(host.snapshots, []);
});

test("a quiesced create refused because the host is busy is not taken for a quiesce refusal: no unquiesced fallback", async () => {
  const host = new InMemorySnapshotHost();
  host.busyFor = { "snapshot.create": 10 };
  const scheduler = new ManualScheduler();
  const events: RunSnapshotEvent[] = [];
  const { result } = await firingWaits(scheduler, withRunSnapshot(host, VM, { runId: "run-0103", quiesce: true, quiesceFallback: true, scheduler, onEvent: (e) => events.push(e) }, async () => assert.fail("no work")));
  assert.ok(result.status === "rejected" && result.reason instanceof SnapshotOperationError && result.reason.fault?.name === "TaskInProgress");
  assert.ok(!events.some((e) => e.type === "quiesce-failed"));
  assert.equal(host.sent.length, 4);
});

test("an abort during a wait for a busy host ends the run at once, with no snapshot of ours", async () => {
  const host = new InMemorySnapshotHost();
  host.busyFor = { "snapshot.create": 10 };
  const scheduler = new ManualScheduler();
  const abort = new AbortController();
  const run = withRunSnapshot(host, VM, { runId: "run-0104", scheduler, signal: abort.signal, onEvent: (e) => e.type === "host-busy" && abort.abort(new Error("interrupted")) }, async () => assert.fail("no work"));
  await assert.rejects(run, /interrupted/u);
  assert.equal(scheduler.pending, 0, "the wait was given up, not left registered");
  assert.deepEqual(host.sent, ["snapshot.create"]);
  assert.deepEqual(host.snapshots, []);
});

test("the removal of our snapshot waits out a busy host longer, even after an abort, and the snapshot is gone", async () => {
  const host = new InMemorySnapshotHost();
  const scheduler = new ManualScheduler();
  const abort = new AbortController();
  const events: RunSnapshotEvent[] = [];
  const run = withRunSnapshot(host, VM, { runId: "run-0105", scheduler, signal: abort.signal, onEvent: (e) => events.push(e) }, async () => {
    host.busyFor = { "snapshot.remove": 5 };
    abort.abort(new Error("interrupted"));
    throw new Error("interrupted");
  });
  const { result, waits } = await firingWaits(scheduler, run);
  assert.ok(result.status === "rejected" && result.reason instanceof Error && result.reason.message === "interrupted");
  assert.equal(waits, 5);
  assert.deepEqual(busyEvents(events), ["remove 15000 2/7", "remove 30000 3/7", "remove 60000 4/7", "remove 60000 5/7", "remove 120000 6/7"]);
  assert.equal(events.at(-1)?.type, "removed");
  assert.deepEqual(host.snapshots, []);
});

test("a removal still refused after the last try: the snapshot is reported left behind, by name", async () => {
  const host = new InMemorySnapshotHost();
  const scheduler = new ManualScheduler();
  const run = withRunSnapshot(host, VM, { runId: "run-0106", scheduler }, async () => {
    host.busyFor = { "snapshot.remove": 100 };
  });
  const { result, waits } = await firingWaits(scheduler, run);
  assert.ok(result.status === "rejected" && result.reason instanceof RunSnapshotLeftBehindError && result.reason.snapshot.name === "esxbackup-run-run-0106" && /TaskInProgress/u.test(result.reason.message));
  assert.equal(waits, 6);
  assert.equal(host.sent.filter((c) => c === "snapshot.remove").length, 7);
});

test("an orphan of a crashed run is removed after the host is no longer busy; an abort during that wait stops the run, the orphan kept for the next", async () => {
  const host = new InMemorySnapshotHost();
  host.snapshots = [{ name: "esxbackup-run-run-0000", id: 50 }];
  host.busyFor = { "snapshot.remove": 1 };
  const scheduler = new ManualScheduler();
  const events: RunSnapshotEvent[] = [];
  const { result, waits } = await firingWaits(scheduler, withRunSnapshot(host, VM, { runId: "run-0107", scheduler, onEvent: (e) => events.push(e) }, async () => "done"));
  assert.deepEqual(result, { status: "fulfilled", value: "done" });
  assert.equal(waits, 1);
  assert.deepEqual(events.map((e) => e.type), ["host-busy", "orphan-removed", "created", "removed"]);

  host.snapshots = [{ name: "esxbackup-run-run-0000", id: 60 }];
  host.busyFor = { "snapshot.remove": 1 };
  const abort = new AbortController();
  await assert.rejects(
    withRunSnapshot(host, VM, { runId: "run-0108", scheduler, signal: abort.signal, onEvent: (e) => e.type === "host-busy" && abort.abort(new Error("interrupted")) }, async () => assert.fail("no work")),
    /interrupted/u,
  );
  assert.equal(scheduler.pending, 0);
  assert.deepEqual(host.snapshots, [{ name: "esxbackup-run-run-0000", id: 60 }]);
});

test("a busy refusal of the removal does not use up its tries after a lost connection", async () => {
  const host = new InMemorySnapshotHost();
  const scheduler = new ManualScheduler();
  const run = withRunSnapshot(host, VM, { runId: "run-0109", scheduler, removeAttempts: 2 }, async () => {
    host.busyFor = { "snapshot.remove": 1 };
    // The removal after the wait happens, but its answer is lost: the one try left reads the tree again.
    host.loseAnswerOf = "snapshot.remove";
    return "done";
  });
  const { result, waits } = await firingWaits(scheduler, run);
  assert.deepEqual(result, { status: "fulfilled", value: "done" });
  assert.equal(waits, 1);
  assert.deepEqual(host.snapshots, []);
});
