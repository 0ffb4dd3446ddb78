// The run snapshot against simulated ESXi 8.0 and 6.7 hosts over real SSH: removed after success, an error,
// an abort and a dropped connection; an orphan of a SIGKILLed run removed by the next run; the user's
// snapshots refused or read through and never touched; host faults reported with the host's words.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ManualScheduler, type EsxiVersion } from "@esxbackup/domain";
import type { EsxiSshSession, EsxiSshSessionEvent } from "../ssh/esxi-ssh-session.js";
import { SshCommandCancelledError } from "../ssh/esxi-ssh-errors.js";
import { sh } from "../ssh/shell-command.js";
import { CuttableRelay } from "../testing/cuttable-relay.js";
import { startTestHost, type TestHost } from "../testing/simulated-esxi-host.js";
import { flattenSnapshotTree } from "./classify-snapshots.js";
import { RunSnapshotLeftBehindError, SnapshotOperationError, UserSnapshotsPresentError, type SnapshotVm } from "./run-snapshot-errors.js";
import { readSnapshotTree } from "./vim-cmd-snapshots.js";
import { withRunSnapshot, type RunSnapshotEvent } from "./with-run-snapshot.js";

const MIB = 1024 * 1024;
/** Every VM's name is hostile to a shell; the first is the worst we know of. */
const NAMES = [
  `q"uote's $HOME; echo pwned \`id\` $(rm -rf ~) [Test] & | > <`,
  "success 'one'",
  "work error $x",
  "abort ; now",
  "dropped `conn`",
  "unreachable \"host\"",
  "killed $(run)",
  "quiesce [no tools]",
  "create fault |",
  "user snaps 'kept'",
  "consolidation & fault",
  "Ünïcødé 名前 ✓ \\ back",
  "powered off (quiet)",
  "busy host: 'another task'",
];
const VMS: SnapshotVm[] = NAMES.map((name, i) => ({ name, vmid: 10 + i }));

function vmConfig(vm: SnapshotVm): Record<string, unknown> {
  return {
    name: vm.name,
    vmid: vm.vmid,
    guestId: "otherGuest64",
    hardwareVersion: 20,
    powerState: vm.name.startsWith("powered off") ? "poweredOff" : "poweredOn",
    disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }],
    workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: vm.vmid },
  };
}

for (const esxiVersion of ["8.0", "6.7"] as const satisfies readonly EsxiVersion[]) {
  describe(`run snapshot on ESXi ${esxiVersion}`, () => {
    let t: TestHost;
    let session: EsxiSshSession;
    let run = 0;
    const runId = (): string => `run-${esxiVersion.replace(".", "")}-${String(++run).padStart(4, "0")}`;
    const vm = (i: number): SnapshotVm => VMS[i] as SnapshotVm;
    const snapshots = async (v: SnapshotVm): Promise<{ name: string; id: number | undefined }[]> =>
      flattenSnapshotTree(await readSnapshotTree(session, v)).map((s) => ({ name: s.name, id: s.id }));
    const userSnapshot = async (v: SnapshotVm, name: string): Promise<void> => {
      await session.exec(sh`vim-cmd vmsvc/snapshot.create ${v.vmid} ${name} ${"the user's"} 0 0`);
    };

    before(async () => {
      t = await startTestHost({ esxiVersion, vms: VMS.map(vmConfig) });
      session = await t.open();
    });
    after(async () => {
      await t.stop();
    });

    test("success: the snapshot exists (the base frozen, a point in time recorded) during the work and is gone after", async () => {
      for (const v of [vm(0), vm(1)]) {
        const id = runId();
        const recordsBefore = t.host.model?.pointInTimeRecords(v.vmid).length ?? 0;
        const result = await withRunSnapshot(session, v, { runId: id }, async (s) => {
          assert.deepEqual(await snapshots(v), [{ name: `esxbackup-run-${id}`, id: s.snapshot.id }]);
          assert.equal(s.powerState, "poweredOn");
          assert.equal(t.host.model?.pointInTimeRecords(v.vmid).length, recordsBefore + 1, "the snapshot froze the disks");
          return "work result";
        });
        assert.equal(result, "work result");
        assert.deepEqual(await snapshots(v), [], v.name);
      }
    });

    test("an error in the work: the work's error is thrown and the snapshot removed", async () => {
      const failure = new Error("reading the disk failed");
      await assert.rejects(
        withRunSnapshot(session, vm(2), { runId: runId() }, async () => {
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(await snapshots(vm(2)), []);
    });

    test("an abort mid-work kills the work's command and removes the snapshot; an abort before the run takes none", async () => {
      const controller = new AbortController();
      await assert.rejects(
        withRunSnapshot(session, vm(3), { runId: runId(), signal: controller.signal }, async ({ signal }) => {
          const reading = session.exec(sh`sleep 300`, signal === undefined ? {} : { signal });
          controller.abort();
          await reading;
        }),
        SshCommandCancelledError,
      );
      assert.deepEqual(await snapshots(vm(3)), []);
      await assert.rejects(withRunSnapshot(session, vm(3), { runId: runId(), signal: controller.signal }, async () => assert.fail("no work after an abort")), { name: "AbortError" });
      assert.deepEqual(await snapshots(vm(3)), []);
    });

    test("a connection dropped mid-work: the session reconnects and the snapshot is removed", async () => {
      const relay = new CuttableRelay(t.host.port);
      let noticeLoss: () => void = () => undefined;
      const lost = new Promise<void>((resolve) => (noticeLoss = resolve));
      const onEvent = (e: EsxiSshSessionEvent): void => {
        if (e.type === "connection-lost") noticeLoss();
      };
      const relayed = await t.open({ target: { host: "127.0.0.1", port: await relay.listen(), user: "root", password: t.password, esxiVersion }, onEvent });
      try {
        await withRunSnapshot(relayed, vm(4), { runId: runId() }, async () => {
          relay.cut();
          await lost;
        });
        assert.equal(relayed.connectionCount, 2, "removed over a new connection");
        assert.deepEqual(await snapshots(vm(4)), []);
      } finally {
        await relay.close();
      }
    });

    test("a connection lost for good: the error names the snapshot left behind, and the next run removes it", async () => {
      const relay = new CuttableRelay(t.host.port);
      const relayed = await t.open({ target: { host: "127.0.0.1", port: await relay.listen(), user: "root", password: t.password, esxiVersion }, reconnectDelayMs: () => 0 });
      const id = runId();
      await assert.rejects(
        withRunSnapshot(relayed, vm(5), { runId: id }, async () => {
          relay.refuse = true;
          relay.cut();
        }),
        (error) => error instanceof RunSnapshotLeftBehindError && error.workCompleted && error.message.includes(`esxbackup-run-${id}`) && error.message.includes("next backup of this VM removes it"),
      );
      await relay.close();
      assert.deepEqual((await snapshots(vm(5))).map((s) => s.name), [`esxbackup-run-${id}`]);
      const events: RunSnapshotEvent[] = [];
      await withRunSnapshot(session, vm(5), { runId: runId(), onEvent: (e) => events.push(e) }, async () => undefined);
      assert.deepEqual(events.map((e) => e.type), ["orphan-removed", "created", "removed"]);
      assert.deepEqual(await snapshots(vm(5)), []);
    });

    test("a run SIGKILLed mid-run leaves its snapshot; the next run removes it and leaves the user's alone", async () => {
      const v = vm(6);
      await userSnapshot(v, "before upgrade");
      const [user] = await snapshots(v);
      const child = spawn(process.execPath, [fileURLToPath(new URL("../testing/run-snapshot-child.js", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
      const crashedRun = runId();
      child.stdin.end(JSON.stringify({ port: t.host.port, password: t.password, esxiVersion, knownHostsPath: t.knownHosts.path, vm: v, runId: crashedRun, allowUserSnapshots: true }));
      const exited = once(child, "exit");
      let output = "";
      try {
        for await (const chunk of child.stdout) {
          output += String(chunk);
          if (output.includes("\n")) break;
        }
        assert.match(output, /^snapshot \d+\n$/u);
      } finally {
        child.kill("SIGKILL");
      }
      assert.deepEqual((await exited)[1], "SIGKILL");
      assert.deepEqual(await snapshots(v), [user, { name: `esxbackup-run-${crashedRun}`, id: Number(output.split(" ")[1]) }]);

      const events: RunSnapshotEvent[] = [];
      await withRunSnapshot(session, v, { runId: runId(), allowUserSnapshots: true, onEvent: (e) => events.push(e) }, async (s) => {
        assert.deepEqual(s.userSnapshots, [user]);
      });
      assert.deepEqual(events.filter((e) => e.type === "orphan-removed").map((e) => e.snapshot.name), [`esxbackup-run-${crashedRun}`]);
      assert.deepEqual(await snapshots(v), [user], "only the user's snapshot is left, unchanged");
    });

    test("a quiesced snapshot of a running VM without Tools fails with the host's reason and leaves nothing", async () => {
      await assert.rejects(
        withRunSnapshot(session, vm(7), { runId: runId(), quiesce: true }, async () => assert.fail("no work without a snapshot")),
        (error) => error instanceof SnapshotOperationError && error.operation === "create" && error.fault?.name === "ToolsUnavailable" && /VMware Tools is not running/u.test(error.message) && error.message.includes(JSON.stringify(vm(7).name)),
      );
      assert.deepEqual(await snapshots(vm(7)), []);
    });

    test("with the fallback, a running VM without Tools gets its snapshot unquiesced, the host's reason told", async () => {
      const events: RunSnapshotEvent[] = [];
      await withRunSnapshot(session, vm(7), { runId: runId(), quiesce: true, quiesceFallback: true, onEvent: (e) => events.push(e) }, async (s) => {
        assert.equal(s.quiesced, false);
        assert.equal((await snapshots(vm(7))).length, 1, "one snapshot: the refused one left nothing");
      });
      assert.deepEqual(events.map((e) => (e.type === "created" ? `created quiesced=${e.quiesced}` : e.type)), ["quiesce-failed", "created quiesced=false", "removed"]);
      const failed = events[0];
      assert.ok(failed?.type === "quiesce-failed");
      assert.match(failed.reason, /^vim\.fault\.ToolsUnavailable: .*VMware Tools is not running/u);
      assert.deepEqual(await snapshots(vm(7)), []);
    });

    test("the fallback is one unquiesced try: a host that refuses that too fails the run with its reason, nothing left", async () => {
      const events: RunSnapshotEvent[] = [];
      t.host.model?.faults.failSnapshotCreate({ message: "An error occurred while taking a snapshot: Out of disk space." });
      try {
        await assert.rejects(
          withRunSnapshot(session, vm(7), { runId: runId(), quiesce: true, quiesceFallback: true, onEvent: (e) => events.push(e) }, async () => assert.fail("no work without a snapshot")),
          (error) => error instanceof SnapshotOperationError && error.operation === "create" && /Out of disk space/u.test(error.message),
        );
      } finally {
        t.host.model?.faults.failSnapshotCreate(null);
      }
      assert.deepEqual(events.map((e) => e.type), ["quiesce-failed"]);
      assert.deepEqual(await snapshots(vm(7)), []);
    });

    test("a powered-off VM gets its snapshot unquiesced even when quiescing was asked for", async () => {
      const events: RunSnapshotEvent[] = [];
      await withRunSnapshot(session, vm(12), { runId: runId(), quiesce: true, onEvent: (e) => events.push(e) }, async (s) => {
        assert.equal(s.powerState, "poweredOff");
        assert.equal(s.quiesced, false);
        assert.equal((await snapshots(vm(12))).length, 1);
      });
      assert.deepEqual(events.map((e) => (e.type === "created" ? `created quiesced=${e.quiesced}` : e.type)), ["created quiesced=false", "removed"]);
      assert.deepEqual(await snapshots(vm(12)), []);
    });

    test("a failed snapshot.create: a clear error and nothing left", async () => {
      t.host.model?.faults.failSnapshotCreate({ message: "An error occurred while taking a snapshot: Out of disk space." });
      try {
        await assert.rejects(
          withRunSnapshot(session, vm(8), { runId: runId() }, async () => assert.fail("no work without a snapshot")),
          (error) => error instanceof SnapshotOperationError && error.operation === "create" && error.message.includes("Out of disk space"),
        );
      } finally {
        t.host.model?.faults.failSnapshotCreate(null);
      }
      assert.deepEqual(await snapshots(vm(8)), []);
    });

    test("a VM with a user snapshot is refused with the reason; allowed, it is read through and never touched", async () => {
      const v = vm(9);
      await userSnapshot(v, "before upgrade");
      const before = await snapshots(v);
      await assert.rejects(
        withRunSnapshot(session, v, { runId: runId() }, async () => assert.fail("refused runs do no work")),
        (error) => error instanceof UserSnapshotsPresentError && error.message.includes('"before upgrade"') && error.message.includes("allow user snapshots explicitly"),
      );
      assert.deepEqual(await snapshots(v), before, "refusal changes nothing");
      await withRunSnapshot(session, v, { runId: runId(), allowUserSnapshots: true }, async () => {
        // A snapshot the user takes on top of ours during the run is theirs too, and stays.
        await userSnapshot(v, "during the backup");
      });
      assert.deepEqual((await snapshots(v)).map((s) => s.name), ["before upgrade", "during the backup"]);
      assert.deepEqual((await snapshots(v))[0], before[0]);
    });

    test("a failed consolidation: the snapshot is named as left behind, and the next run removes it", async () => {
      const v = vm(10);
      const id = runId();
      t.host.model?.faults.failConsolidation({ message: "An error occurred while consolidating disks: msg.snapshot.error-DISKFULL" });
      try {
        await assert.rejects(
          withRunSnapshot(session, v, { runId: id }, async () => "done"),
          (error) => error instanceof RunSnapshotLeftBehindError && error.cause instanceof SnapshotOperationError && error.message.includes("DISKFULL") && error.message.includes(`esxbackup-run-${id}`),
        );
      } finally {
        t.host.model?.faults.failConsolidation(null);
      }
      await withRunSnapshot(session, v, { runId: runId() }, async () => undefined);
      assert.deepEqual(await snapshots(v), []);
    });

    describe("a host busy with another task on the VM (vim.fault.TaskInProgress)", () => {
      const v = (): SnapshotVm => vm(13);
      // Each wait is let pass as soon as it is registered, which is right after its event.
      const busyRun = (events: RunSnapshotEvent[], signal?: AbortSignal): Parameters<typeof withRunSnapshot>[2] => {
        const scheduler = new ManualScheduler();
        return {
          runId: runId(),
          scheduler,
          ...(signal === undefined ? {} : { signal }),
          onEvent: (e) => {
            events.push(e);
            if (e.type === "host-busy") queueMicrotask(() => scheduler.fire());
          },
        };
      };
      const busy = (events: RunSnapshotEvent[]): string[] => events.flatMap((e) => (e.type === "host-busy" ? [`${e.operation} ${e.nextTry}/${e.tries} ${e.reason}`] : []));

      test("a create refused twice is tried again and the run succeeds; a removal refused twice too", async () => {
        const events: RunSnapshotEvent[] = [];
        t.host.model?.faults.busyWithAnotherTask(2);
        const result = await withRunSnapshot(session, v(), busyRun(events), async (s) => {
          assert.equal((await snapshots(v())).length, 1);
          t.host.model?.faults.busyWithAnotherTask(2);
          return s.snapshot.name;
        });
        assert.match(result, /^esxbackup-run-/u);
        const reason = "vim.fault.TaskInProgress: Another task is already in progress.";
        assert.deepEqual(busy(events), [`create 2/4 ${reason}`, `create 3/4 ${reason}`, `remove 2/7 ${reason}`, `remove 3/7 ${reason}`]);
        assert.equal(events.at(-1)?.type, "removed");
        assert.deepEqual(await snapshots(v()), []);
      });

      test("given up: a create refused on every try fails with the host's fault, nothing left", async () => {
        const events: RunSnapshotEvent[] = [];
        t.host.model?.faults.busyWithAnotherTask(100);
        try {
          await assert.rejects(
            withRunSnapshot(session, v(), busyRun(events), async () => assert.fail("no work without a snapshot")),
            (error) => error instanceof SnapshotOperationError && error.operation === "create" && error.fault?.name === "TaskInProgress" && error.message.includes("Another task is already in progress.") && error.message.includes(JSON.stringify(v().name)),
          );
        } finally {
          t.host.model?.faults.busyWithAnotherTask(null);
        }
        assert.equal(busy(events).length, 3);
        assert.deepEqual(await snapshots(v()), []);
      });

      test("given up: a removal refused on every try names the snapshot left behind; the next run removes it", async () => {
        const events: RunSnapshotEvent[] = [];
        const options = busyRun(events);
        try {
          await assert.rejects(
            withRunSnapshot(session, v(), options, async () => void t.host.model?.faults.busyWithAnotherTask(100)),
            (error) => error instanceof RunSnapshotLeftBehindError && error.message.includes(`esxbackup-run-${options.runId}`) && error.message.includes("TaskInProgress"),
          );
        } finally {
          t.host.model?.faults.busyWithAnotherTask(null);
        }
        assert.equal(busy(events).length, 6);
        assert.deepEqual((await snapshots(v())).map((s) => s.name), [`esxbackup-run-${options.runId}`]);
        await withRunSnapshot(session, v(), { runId: runId() }, async () => undefined);
        assert.deepEqual(await snapshots(v()), []);
      });
    });

    test("names full of shell metacharacters reach vim-cmd intact", async () => {
      const v = vm(11);
      const id = runId();
      await withRunSnapshot(session, v, { runId: id, allowUserSnapshots: true }, async () => {
        assert.equal(t.host.model?.vmByName(v.name).vmid, v.vmid);
        assert.deepEqual((await snapshots(v)).map((s) => s.name), [`esxbackup-run-${id}`]);
      });
      await userSnapshot(v, `user's "snap" $HOME; \`id\``);
      assert.deepEqual((await snapshots(v)).map((s) => s.name), [`user's "snap" $HOME; \`id\``]);
      await assert.rejects(withRunSnapshot(session, v, { runId: runId() }, async () => undefined), (error) => error instanceof UserSnapshotsPresentError && error.message.includes(JSON.stringify(v.name)));
    });
  });
}
