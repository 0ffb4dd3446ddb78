// A restore to a host without Python whose busybox dd was built without conv= (FEATURE_DD_IBS_OBS): the
// probe finds it, and both restores are refused before the host changes (no folder, no disk, the
// original disk untouched), since a dd that seeks without conv=notrunc would truncate the disk.
import { strict as assert } from "node:assert";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { MemoryBlobStore, Repository } from "@esxbackup/repository";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { ShellCommand } from "../esxi/ssh/shell-command.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import { restoreOverOriginal } from "./restore-over-original.js";
import { restoreToHost } from "./restore-to-host.js";
import { pointOfSimulatedVm } from "./testing/point-of-simulated-vm.js";

const MIB = 1024 * 1024;
const silent: ProgressReporter = { start: () => ({ update: () => undefined, stop: () => undefined }) };
const cannotWrite = (e: unknown): boolean => e instanceof HostRestoreRefusedError && e.refusal === "host-cannot-write" && /conv=notrunc/u.test(e.message);

describe("restores to a host without Python whose dd lacks conv=notrunc", () => {
  let test: TestHost;
  let repository: Repository;

  before(async () => {
    test = await startTestHost({
      esxiVersion: "6.7",
      shell: { python: false, refusedOptions: { dd: ["conv=", "iflag=", "oflag=", "ibs=", "obs="] } },
      vms: [{ name: "cold", vmid: 2, powerState: "poweredOff", disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, dataRegions: [{ offsetBytes: MIB, lengthBytes: MIB }] }], workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 2 } }],
    });
    repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 64 * 1024, threads: 1 });
  });
  after(async () => {
    await repository.close();
    await test.stop();
  });

  it("the probe finds dd without conv=notrunc", async () => {
    const capabilities = await probeHostCapabilities(await test.open());
    assert.equal(capabilities.python, undefined);
    assert.deepEqual(capabilities.tools, { dd: true, ddNotrunc: false, wc: true });
  });

  it("a restore to a new VM is refused before anything is made on the host", async () => {
    const point = await pointOfSimulatedVm(test, repository, "cold");
    const session = await test.open();
    const sent: string[] = [];
    const recording = Object.assign(Object.create(session) as typeof session, {
      exec: (command: ShellCommand, options?: Parameters<typeof session.exec>[1]) => (sent.push(command.text), session.exec(command, options)),
      execStream: (command: ShellCommand, options?: Parameters<typeof session.execStream>[1]) => (sent.push(command.text), session.execStream(command, options)),
    });
    await assert.rejects(restoreToHost({ session: recording, repository, pointId: point.pointId, name: "copy", powerOn: false, channels: 2, signal: new AbortController().signal, clock: systemClock, progress: silent }), cannotWrite);
    assert.ok(!(test.host.model?.inventory() ?? []).some((vm) => vm.name === "copy"));
    assert.deepEqual(sent.filter((c) => /^(mkdir|vmkfstools|dd|cat >|rm)\b/u.test(c)), [], sent.join("\n"));
  });

  it("a restore over the original is refused and leaves its disk as it was", async () => {
    const point = await pointOfSimulatedVm(test, repository, "cold");
    const vm = test.host.model?.vmByName("cold");
    const flat = vm?.disks[0]?.extentDataPaths[0] as string;
    const before = await readFile(flat);
    await assert.rejects(restoreOverOriginal({ session: await test.open(), repository, pointId: point.pointId, channels: 2, signal: new AbortController().signal, clock: systemClock, progress: silent }), cannotWrite);
    assert.ok((await readFile(flat)).equals(before));
  });
});
