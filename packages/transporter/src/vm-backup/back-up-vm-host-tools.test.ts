// backUpVm on hosts whose busybox is trimmed: without Python and with a dd built without conv=/iflag=/oflag=
// (what the backup never uses) the backup hashes and reads with plain dd and restores byte for byte; without
// Python and without dd it is refused before its snapshot is taken.
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, Repository, restoreDiskImage } from "@esxbackup/repository";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import { HostLacksToolsError } from "../esxi/probe/host-lacks-tools-error.js";
import type { ShellCommand } from "../esxi/ssh/shell-command.js";
import { startTestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { TestHost } from "../esxi/testing/simulated-esxi-host.js";
import { silentProgress } from "../progress/progress-reporter.js";
import { backUpVm } from "./back-up-vm.js";
import type { VmBackupEvent } from "./back-up-vm.js";

const MIB = 1024 * 1024;
const VM = { name: "web01", vmid: 1, powerState: "poweredOff", disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }], workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 3 } };

describe("backUpVm on a host with a trimmed busybox", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function setUp(shell: { disabledApplets?: string[]; refusedOptions?: Record<string, string[]> }): Promise<{ t: TestHost; repository: Repository; work: string }> {
    const t = await startTestHost({ esxiVersion: "6.7", shell: { python: false, ...shell }, vms: [VM] });
    const work = await mkdtemp(join(tmpdir(), "vm-backup-tools-"));
    const repository = await Repository.init(new LocalDirectoryBlobStore(join(work, "repo")), { chunkSizeBytes: MIB });
    cleanups.push(async () => {
      await repository.close();
      await t.stop();
      await rm(work, { recursive: true, force: true });
    });
    return { t, repository, work };
  }

  it("without conv=, iflag= or oflag= in its dd, hashes and reads with plain dd", async () => {
    const { t, repository, work } = await setUp({ refusedOptions: { dd: ["conv=", "iflag=", "oflag=", "ibs=", "obs="] } });
    const session = await t.open();
    const capabilities = await probeHostCapabilities(session);
    assert.equal(capabilities.tools.ddNotrunc, false);
    const events: VmBackupEvent[] = [];
    const result = await backUpVm({ session, hostLabel: "esx67", vmName: "web01", repository, capabilities, runId: "trimmed", signal: new AbortController().signal, clock: systemClock, progress: silentProgress, onEvent: (e) => events.push(e) });
    assert.ok(events.some((e) => e.type === "hashing" && e.method === "busybox" && e.reading === "dd"), JSON.stringify(events.filter((e) => e.type === "hashing")));
    const out = join(work, "disk.raw");
    await restoreDiskImage(repository, result.point, 0, out);
    const vm = t.host.model?.vmByName("web01");
    assert.ok((await readFile(out)).equals(await readFile(vm?.disks[0]?.extentDataPaths[0] as string)));
  });

  it("without Python and without dd, refused before its snapshot", async () => {
    const { t, repository } = await setUp({ disabledApplets: ["dd"] });
    const session = await t.open();
    const capabilities = await probeHostCapabilities(session);
    assert.equal(capabilities.tools.dd, false);
    const sent: string[] = [];
    const exec = (command: ShellCommand, options?: Parameters<typeof session.exec>[1]): ReturnType<typeof session.exec> => (sent.push(command.text), session.exec(command, options));
    const recording = new Proxy(session, {
      get: (target, key) => {
        if (key === "exec") return exec;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await assert.rejects(
      backUpVm({ session: recording, hostLabel: "esx67", vmName: "web01", repository, capabilities, runId: "no-dd", signal: new AbortController().signal, clock: systemClock, progress: silentProgress }),
      (e: unknown) => e instanceof HostLacksToolsError && /no usable Python 3 and no dd/u.test(e.message),
    );
    assert.ok(!sent.some((c) => c.includes("snapshot.create")), sent.join("\n"));
  });
});
