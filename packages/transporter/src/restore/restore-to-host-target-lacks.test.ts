// A restore to another host whose port groups and devices differ from the original's (ADR 42), over real
// SSH against simulated hosts: what the .vmx needs that the target lacks is warned of before anything is
// written, and the restore goes on; with --power-on, the VM's question about the host CD-ROM drive it lacks
// (the simulator poses it, and holds power.on, as a real host does) fails the power-on quoting it, the VM
// restored and registered; answered afterwards, the power-on the host kept finishes.
import { strict as assert } from "node:assert";
import { appendFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { systemClock } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { MemoryBlobStore, Repository } from "@esxbackup/repository";
import { sh } from "../esxi/ssh/shell-command.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import { VmQuestionPendingError } from "../esxi/vim-cmd/vm-question-pending-error.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { PowerOnFailedError, restoreToHost } from "./restore-to-host.js";
import { pointOfSimulatedVm } from "./testing/point-of-simulated-vm.js";

const MIB = 1024 * 1024;
const silent: ProgressReporter = { start: () => ({ update: () => undefined, stop: () => undefined }) };

describe("restoreToHost to a host that lacks what the VM's .vmx names", () => {
  let source: TestHost;
  let target: TestHost;
  let repository: Repository;
  let pointId: PointId;

  before(async () => {
    const vms = [{ name: "web01", vmid: 1, powerState: "poweredOff", disks: [{ slot: "scsi0:0", sizeBytes: 2 * MIB, dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }], workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 5 } }];
    source = await startTestHost({ esxiVersion: "8.0", vms });
    target = await startTestHost({ esxiVersion: "8.0" });
    repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 64 * 1024, threads: 1 });
    const vm = source.host.model?.vmByName("web01");
    assert.ok(vm !== undefined);
    // The original's host had a "DMZ" port group and a CD-ROM drive the VM used.
    await appendFile(vm.vmxPath, 'ethernet1.present = "TRUE"\nethernet1.virtualDev = "vmxnet3"\nethernet1.networkName = "DMZ"\nide1:0.present = "TRUE"\nide1:0.deviceType = "atapi-cdrom"\nide1:0.fileName = "/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0"\n');
    pointId = (await pointOfSimulatedVm(source, repository, "web01")).pointId;
  });
  after(async () => {
    await repository.close();
    await source.stop();
    await target.stop();
  });

  const restore = async (name: string, powerOn: boolean, warnings: string[]): ReturnType<typeof restoreToHost> =>
    restoreToHost({ session: await target.open(), repository, pointId, name, powerOn, channels: 1, signal: new AbortController().signal, clock: systemClock, progress: silent, onWarning: (w) => warnings.push(w), questionPause: () => nextTurn() });

  it("warns of the port group and the CD-ROM drive the host lacks, and restores the VM all the same", async () => {
    const warnings: string[] = [];
    const result = await restore("web01 copy", false, warnings);
    assert.deepEqual(result.warnings, warnings);
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.match(warnings[0] ?? "", /^ethernet1 is connected to port group "DMZ", which the host lacks \(it has "Management Network", "VM Network"\)/u);
    assert.match(warnings[1] ?? "", /^ide1:0 is connected at power-on to the host's CD\/DVD drive \/vmfs\/devices\/cdrom\/mpx\.vmhba0:C0:T0:L0: a host without it asks at power-on/u);
    assert.equal(target.host.model?.vmByName("web01 copy").vmid, Number(result.vmid));
  });

  it("with power-on: the VM's question fails the power-on, quoted, the VM registered; answered later, the host's power-on finishes", async () => {
    const warnings: string[] = [];
    let vmid = "";
    await assert.rejects(restore("web01 on", true, warnings), (error: unknown) => {
      assert.ok(error instanceof PowerOnFailedError, String(error));
      assert.ok(error.cause instanceof VmQuestionPendingError);
      vmid = error.vmid;
      assert.match(error.message, /^VM "web01 on" was restored and registered as vmid \d+, but did not power on: VM \d+ is waiting for an answer before it powers on: "Cannot connect the virtual device ide1:0 because no corresponding device is available on the host\. Do you want to try/u);
      assert.match(error.message, /choices: 0\. Yes; 1\. No \(default\)\. Answer it in the ESXi Host Client/u);
      return true;
    });
    assert.equal(warnings.length, 2);
    const session = await target.open();
    const state = async (): Promise<string> => (await session.exec(sh`vim-cmd vmsvc/power.getstate ${vmid}`)).stdout.toString("utf8");
    assert.match(await state(), /Powered off/u);
    assert.match((await session.exec(sh`vim-cmd vmsvc/message ${vmid}`)).stdout.toString("utf8"), /^Virtual machine message _vmx\d+:\n/u);
    const id = /message (_vmx\d+):/u.exec((await session.exec(sh`vim-cmd vmsvc/message ${vmid}`)).stdout.toString("utf8"))?.[1] ?? "";
    await session.exec(sh`vim-cmd vmsvc/message ${vmid} ${id} 1`);
    let now = await state();
    for (let look = 0; look < 200 && !/Powered on/u.test(now); look++) now = await state();
    assert.match(now, /Powered on/u);
  });
});
