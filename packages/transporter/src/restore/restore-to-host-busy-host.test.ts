// A restore to a host busy with another task on the VM (`vim.fault.TaskInProgress`, the simulator's
// `taskInProgress` fault), over real SSH: registervm, power.on and the undo's unregister are tried again
// after waits (host-busy-retry.ts), each said as a `host-busy` wait; the waits run on a scheduler that
// records them and lets them pass at once. And a power-on whose looks for a question cannot be read
// (the simulator's `vmMessage` fault) ends in a VM that is on.
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { systemClock, type PointId, type Scheduler } from "@esxbackup/domain";
import { MemoryBlobStore, Repository } from "@esxbackup/repository";
import type { HostBusyWait } from "../esxi/snapshot/host-busy-retry.js";
import { SshConnectionLostError } from "../esxi/ssh/esxi-ssh-errors.js";
import type { ExecOptions, ExecResult } from "../esxi/ssh/esxi-ssh-session.js";
import { sh, type ShellCommand } from "../esxi/ssh/shell-command.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { restoreToHost, type HostRestoreSession, type RestoreToHostRequest } from "./restore-to-host.js";
import { pointOfSimulatedVm } from "./testing/point-of-simulated-vm.js";

const MIB = 1024 * 1024;
const silent: ProgressReporter = { start: () => ({ update: () => undefined, stop: () => undefined }) };

/** A scheduler whose waits pass at the next turn, each recorded. */
function passingScheduler(): Scheduler & { waitsMs: number[] } {
  const waitsMs: number[] = [];
  return {
    waitsMs,
    every: (ms, fn) => {
      waitsMs.push(ms);
      const timer = setImmediate(fn);
      return () => clearImmediate(timer);
    },
  };
}

/** The session to the host, with `before` run ahead of each command (it may throw in its place) and `lose` after it. */
function sessionWith(inner: HostRestoreSession, hooks: { before?: (command: ShellCommand) => Promise<void>; lose?: (command: ShellCommand) => boolean }): HostRestoreSession & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    label: inner.label,
    exec: async (command: ShellCommand, options?: ExecOptions): Promise<ExecResult> => {
      await hooks.before?.(command);
      ran.push(command.text);
      const result = await inner.exec(command, options);
      if (hooks.lose?.(command) === true) throw new SshConnectionLostError(inner.label, "while the command was running");
      return result;
    },
    execStream: (command, options) => inner.execStream(command, options),
  };
}

describe("restoreToHost to a host busy with another task on the VM", () => {
  let test: TestHost;
  let repository: Repository;
  let pointId: PointId;

  before(async () => {
    test = await startTestHost({ esxiVersion: "8.0", vms: [{ name: "web01", vmid: 1, powerState: "poweredOff", disks: [{ slot: "scsi0:0", sizeBytes: 2 * MIB, dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }], workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 3 } }] });
    repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 64 * 1024, threads: 1 });
    pointId = (await pointOfSimulatedVm(test, repository, "web01")).pointId;
  });
  after(async () => {
    await repository.close();
    await test.stop();
  });

  const registeredAs = (name: string): number[] => (test.host.model?.inventory() ?? []).filter((vm) => vm.name === name).map((vm) => vm.vmid);
  const faults = (): NonNullable<TestHost["host"]["model"]>["faults"] => {
    const model = test.host.model;
    assert.ok(model !== undefined);
    return model.faults;
  };

  async function restore(name: string, options: { powerOn?: boolean; session?: (inner: HostRestoreSession) => HostRestoreSession; signal?: AbortSignal; attempts?: number; onHostBusy?: (wait: HostBusyWait) => void; warnings?: string[] } = {}): Promise<{ run: Promise<Awaited<ReturnType<typeof restoreToHost>>>; waits: HostBusyWait[]; scheduler: ReturnType<typeof passingScheduler> }> {
    const inner = await test.open();
    const waits: HostBusyWait[] = [];
    const scheduler = passingScheduler();
    const request: RestoreToHostRequest = {
      session: options.session?.(inner) ?? inner,
      repository,
      pointId,
      name,
      powerOn: options.powerOn ?? false,
      channels: 1,
      signal: options.signal ?? new AbortController().signal,
      clock: systemClock,
      progress: silent,
      scheduler,
      questionPause: () => new Promise((resolve) => setImmediate(resolve)),
      onHostBusy: (wait) => {
        waits.push(wait);
        options.onHostBusy?.(wait);
      },
      onWarning: (warning) => options.warnings?.push(warning),
      ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    };
    return { run: restoreToHost(request), waits, scheduler };
  }

  it("registervm refused twice: waited 15 s, then 30 s, and the VM registered once", async () => {
    faults().busyWithAnotherTask(2, ["registervm"]);
    const { run, waits, scheduler } = await restore("reg-busy");
    const result = await run;
    assert.deepEqual(registeredAs("reg-busy"), [Number(result.vmid)]);
    assert.deepEqual(scheduler.waitsMs, [15_000, 30_000]);
    assert.deepEqual(waits.map((w) => [w.operation, w.nextTry, w.tries]), [["register", 2, 5], ["register", 3, 5]]);
    assert.match(waits[0]?.reason ?? "", /^vim\.fault\.TaskInProgress: Another task is already in progress\.$/u);
  });

  it("registervm refused more often than the table allows: the host's fault, nothing registered", async () => {
    faults().busyWithAnotherTask(100, ["registervm"]);
    const { run, waits } = await restore("reg-always-busy");
    await assert.rejects(run, (error: Error) => {
      assert.match(error.message, /vim-cmd solo\/registervm of .*: the host answered with vim\.fault\.TaskInProgress: Another task is already in progress\./u);
      return true;
    });
    faults().busyWithAnotherTask(null);
    assert.deepEqual(registeredAs("reg-always-busy"), []);
    assert.equal(waits.length, 4);
  });

  it("Ctrl-C while registervm waits: the wait ends at once, nothing is registered", async () => {
    faults().busyWithAnotherTask(100, ["registervm"]);
    const stop = new AbortController();
    const { run, waits, scheduler } = await restore("reg-ctrl-c", { signal: stop.signal, onHostBusy: () => stop.abort() });
    await assert.rejects(run);
    faults().busyWithAnotherTask(null);
    assert.equal(waits.length, 1);
    assert.deepEqual(registeredAs("reg-ctrl-c"), []);
    assert.deepEqual(scheduler.waitsMs, [], "the abort came before the wait began: it was never waited");
  });

  it("power.on refused twice: waited out, the power state asked each time, the VM on", async () => {
    faults().busyWithAnotherTask(2, ["power.on"]);
    let session: ReturnType<typeof sessionWith> | undefined;
    const { run, waits } = await restore("on-busy", { powerOn: true, session: (inner) => (session = sessionWith(inner, {})) });
    const result = await run;
    assert.equal(result.poweredOn, true);
    assert.equal(test.host.model?.vmByName("on-busy").powerState, "poweredOn");
    assert.deepEqual(waits.map((w) => w.operation), ["power-on", "power-on"]);
    const powerCalls = session?.ran.filter((command) => /vmsvc\/power\.(on|getstate)/u.test(command)).map((command) => command.split(" ")[1]);
    assert.deepEqual(powerCalls, ["vmsvc/power.on", "vmsvc/power.getstate", "vmsvc/power.on", "vmsvc/power.getstate", "vmsvc/power.on"]);
  });

  it("power.on refused while the task that held the VM powered it on: found on, not powered on again", async () => {
    faults().busyWithAnotherTask(1, ["power.on"]);
    let session: ReturnType<typeof sessionWith> | undefined;
    // The other task: a power-on from the Host Client, done by the time the power state is asked.
    let otherPowerOn: Promise<unknown> | undefined;
    const { run, waits } = await restore("on-by-other", {
      powerOn: true,
      session: (inner) => (session = sessionWith(inner, { before: async (command) => void (/power\.getstate/u.test(command.text) ? await otherPowerOn : undefined) })),
      onHostBusy: () => void (otherPowerOn = test.host.model?.tools.run({ tool: "vim-cmd", args: ["vmsvc/power.on", String(test.host.model.vmByName("on-by-other").vmid)], cwd: "/" })),
    });
    const result = await run;
    assert.equal(result.poweredOn, true);
    assert.equal(waits.length, 1);
    assert.equal(session?.ran.filter((command) => /vmsvc\/power\.on/u.test(command)).length, 1, "power.on ran once, the refused call");
  });

  it("the undo's unregister refused twice: waited out, the VM we registered is unregistered", async () => {
    faults().busyWithAnotherTask(2, ["unregister"]);
    // registervm's answer lost with no try left: the restore fails and undoes what it registered.
    const { run, waits } = await restore("undo-busy", { attempts: 1, session: (inner) => sessionWith(inner, { lose: (command) => command.text.includes("solo/registervm") }) });
    await assert.rejects(run, /connection lost/u);
    assert.deepEqual(registeredAs("undo-busy"), []);
    assert.deepEqual(waits.map((w) => w.operation), ["unregister", "unregister"]);
  });

  it("the undo's unregister refused more often than the table allows: the error says a VM may be left registered, and it is", async () => {
    faults().busyWithAnotherTask(100, ["unregister"]);
    const { run, waits } = await restore("undo-always-busy", { attempts: 1, session: (inner) => sessionWith(inner, { lose: (command) => command.text.includes("solo/registervm") }) });
    await assert.rejects(run, (error: Error) => {
      assert.match(error.message, /a VM registered from \[datastore1\] undo-always-busy\/undo-always-busy\.vmx could not be looked for or unregistered \(vim-cmd vmsvc\/unregister of VM \d+: the host answered with vim\.fault\.TaskInProgress/u);
      return true;
    });
    faults().busyWithAnotherTask(null);
    assert.equal(waits.length, 6);
    const left = registeredAs("undo-always-busy");
    assert.equal(left.length, 1);
    const session = await test.open();
    await session.exec(sh`vim-cmd vmsvc/unregister ${left[0] ?? 0}`);
  });

  it("Ctrl-C while the undo's unregister waits: the wait goes on, and the VM is unregistered", async () => {
    faults().busyWithAnotherTask(1, ["unregister"]);
    const stop = new AbortController();
    const { run, waits, scheduler } = await restore("undo-ctrl-c", {
      attempts: 1,
      signal: stop.signal,
      session: (inner) => sessionWith(inner, { lose: (command) => command.text.includes("solo/registervm") }),
      onHostBusy: () => stop.abort(),
    });
    await assert.rejects(run);
    assert.equal(waits.length, 1);
    assert.deepEqual(scheduler.waitsMs, [15_000]);
    assert.deepEqual(registeredAs("undo-ctrl-c"), []);
  });

  for (const kind of ["garbled", "unreachable"] as const) {
    it(`a power-on whose looks for a question all fail (${kind}), refused once as busy too: told once, and the VM is on`, async () => {
      faults().failVmMessage({ tries: 1000, kind });
      faults().busyWithAnotherTask(1, ["power.on"]);
      // Each power.on goes to the host only once two more looks were sent, so that looks fail while it runs.
      let looks = 0;
      let powerOns = 0;
      const waiting: { atLeast: number; go: () => void }[] = [];
      const warnings: string[] = [];
      const { run, waits } = await restore(`on-${kind}`, {
        powerOn: true,
        warnings,
        session: (inner) =>
          sessionWith(inner, {
            before: async (command) => {
              if (/^vim-cmd vmsvc\/message \d+$/u.test(command.text)) {
                looks++;
                for (const waiter of waiting.filter((w) => looks >= w.atLeast)) setImmediate(waiter.go);
              }
              if (!/vmsvc\/power\.on/u.test(command.text)) return;
              const atLeast = 2 * ++powerOns;
              if (looks < atLeast) await new Promise<void>((go) => waiting.push({ atLeast, go }));
            },
          }),
      });
      const result = await run;
      faults().failVmMessage(null);
      assert.equal(result.poweredOn, true);
      assert.equal(test.host.model?.vmByName(`on-${kind}`).powerState, "poweredOn");
      assert.equal(powerOns, 2);
      assert.deepEqual(waits.map((w) => w.operation), ["power-on"]);
      const told = warnings.filter((warning) => /asks a question at power-on could not be checked/u.test(warning));
      assert.equal(told.length, 1, warnings.join("\n"));
    });
  }
});
