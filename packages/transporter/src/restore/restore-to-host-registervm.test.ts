// registervm's refusals, over real SSH against a simulated host. `vim.fault.AlreadyExists` (VCL's
// VIM_SSH.pm quotes it: "The specified key, name, or identifier '51' already exists.", for a path an
// invalid VM is registered from): the host still holds a VM whose folder was removed without unregistering
// it. The restore's folder, its own from `mkdir`, is kept to be carried on; the other VM is not touched,
// and the error names it and how to go on. Done so, the same command finishes the restore. And a
// registervm that prints no vmid: the VM registered from our .vmx is found by its path.
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { MemoryBlobStore, Repository } from "@esxbackup/repository";
import { sh } from "../esxi/ssh/shell-command.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { RestoreLeftResumableError, restoreToHost, type HostRestoreSession } from "./restore-to-host.js";
import { pointOfSimulatedVm } from "./testing/point-of-simulated-vm.js";

const MIB = 1024 * 1024;
const silent: ProgressReporter = { start: () => ({ update: () => undefined, stop: () => undefined }) };

describe("restoreToHost and registervm's answers", () => {
  let test: TestHost;
  let repository: Repository;
  let pointId: PointId;

  before(async () => {
    const disk = { slot: "scsi0:0", sizeBytes: 2 * MIB, dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] };
    const workload = { writesPerSecond: 0, writeSizeBytes: 65536, seed: 7 };
    test = await startTestHost({ esxiVersion: "7.0", vms: [{ name: "web01", vmid: 1, powerState: "poweredOff", disks: [disk], workload }, { name: "old", vmid: 9, powerState: "poweredOff", disks: [disk], workload }, { name: "gone", vmid: 12, powerState: "poweredOff", disks: [disk], workload }] });
    repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 64 * 1024, threads: 1 });
    pointId = (await pointOfSimulatedVm(test, repository, "web01")).pointId;
  });
  after(async () => {
    await repository.close();
    await test.stop();
  });

  it("a VM still registered from the path, its files gone, that shows again once our .vmx is written: named before registervm, the folder kept, the VM named and left alone; unregistered, the same command finishes", async () => {
    const session = await test.open();
    await session.exec(sh`rm -rf -- /vmfs/volumes/datastore1/old`);
    const restore = async (): ReturnType<typeof restoreToHost> =>
      restoreToHost({ session: await test.open(), repository, pointId, name: "old", powerOn: false, channels: 1, signal: new AbortController().signal, clock: systemClock, progress: silent });
    await assert.rejects(restore(), (error: unknown) => {
      assert.ok(error instanceof RestoreLeftResumableError, String(error));
      assert.match(error.message, /^VM 9 is registered from \[datastore1\] old\/old\.vmx already, left in the inventory when its files were removed \(the host lists it as invalid\); unregister it \(`vim-cmd vmsvc\/unregister 9`, or in the Host Client\), then run the same command/u);
      assert.match(error.message, /bytes written into \/vmfs\/volumes\/datastore1\/old; run the same command to resume/u);
      return true;
    });
    assert.deepEqual(test.host.model?.inventory().map((vm) => vm.vmid).sort((a, b) => a - b), [1, 9, 12], "the stale VM is not ours to unregister");
    assert.equal((await session.exec(sh`ls -d -- /vmfs/volumes/datastore1/old`, { check: false })).exitCode, 0, "the restore's folder is kept");
    await session.exec(sh`vim-cmd vmsvc/unregister 9`);
    const result = await restore();
    assert.equal(result.resumed, true);
    assert.equal(test.host.model?.vmByName("old").vmid, Number(result.vmid));
  });

  it("the fault names the VM: it is left registered (not ours), the folder kept, and the error says to unregister it", async () => {
    const inner = await test.open();
    await inner.exec(sh`rm -rf -- /vmfs/volumes/datastore1/gone`);
    // A host that keeps VM 12 invalid whatever appears at its path: getallvms skips it (esxi-facts 1.1).
    const session: HostRestoreSession = {
      label: inner.label,
      exec: async (command, options) => {
        const result = await inner.exec(command, options);
        if (!command.text.includes("getallvms")) return result;
        return { ...result, stdout: Buffer.from(result.stdout.toString("utf8").split("\n").filter((line) => !/^12 /u.test(line)).join("\n")) };
      },
      execStream: (command, options) => inner.execStream(command, options),
    };
    await assert.rejects(
      restoreToHost({ session, repository, pointId, name: "gone", powerOn: false, channels: 1, signal: new AbortController().signal, clock: systemClock, progress: silent }),
      (error: unknown) => {
        assert.ok(error instanceof RestoreLeftResumableError, String(error));
        assert.match(error.message, /vim\.fault\.AlreadyExists: The specified key, name, or identifier '12' already exists\.: VM 12 is registered from \[datastore1\] gone\/gone\.vmx already, .*unregister it \(`vim-cmd vmsvc\/unregister 12`/u);
        return true;
      },
    );
    assert.ok(test.host.model?.inventory().some((vm) => vm.vmid === 12), "the VM the fault named is not ours to unregister");
    assert.equal((await inner.exec(sh`ls -d -- /vmfs/volumes/datastore1/gone`, { check: false })).exitCode, 0, "the restore's folder is kept");
  });

  it("registervm that prints no vmid (ESX 4.x printed nothing on success) or words around it: the VM registered from our .vmx is found by its path", async () => {
    const inner = await test.open();
    for (const [name, printed] of [["quiet", ""], ["wordy", "Registering VM\n"]] as const) {
      const session: HostRestoreSession = {
        label: inner.label,
        exec: async (command, options) => {
          const result = await inner.exec(command, options);
          return command.text.includes("solo/registervm") ? { ...result, stdout: Buffer.from(printed) } : result;
        },
        execStream: (command, options) => inner.execStream(command, options),
      };
      const steps: string[] = [];
      const result = await restoreToHost({ session, repository, pointId, name, powerOn: false, channels: 1, signal: new AbortController().signal, clock: systemClock, progress: silent, onStep: (step) => steps.push(step) });
      assert.equal(test.host.model?.vmByName(name).vmid, Number(result.vmid));
      assert.ok(steps.some((step) => step.includes(`printed ${JSON.stringify(printed.trim())}, not a vmid; the VM registered from [datastore1] ${name}/${name}.vmx is vmid ${result.vmid}`)), steps.join("\n"));
    }
  });
});
