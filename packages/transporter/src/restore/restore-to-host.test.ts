// restoreToHost over real SSH against simulated hosts: the Python writer and the dd writer (a host
// without Python) both give a disk equal to the point; an abort in the middle of writing leaves no VM
// registered and removes the folder it created, and nothing else.
import { strict as assert } from "node:assert";
import { copyFile, readFile, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import type { EsxiVersion, PointId, VmConfigFile } from "@esxbackup/domain";
import { MemoryBlobStore, PointWriter, Repository } from "@esxbackup/repository";
import { CuttableRelay } from "../esxi/testing/cuttable-relay.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { restoreToHost } from "./restore-to-host.js";

const MIB = 1024 * 1024;
const silent: ProgressReporter = { start: () => ({ update: () => undefined, stop: () => undefined }) };

async function pointOf(test: TestHost, repository: Repository, vmName: string): Promise<{ pointId: PointId; image: Buffer }> {
  const vm = test.host.model?.vmByName(vmName);
  assert.ok(vm !== undefined);
  const copy = join(test.work, `${vm.vmid}.raw`);
  await copyFile(vm.disks[0]?.extentDataPaths[0] as string, copy);
  const folder = dirname(vm.vmxPath);
  const configFiles: VmConfigFile[] = [];
  for (const name of await readdir(folder)) {
    if (name === basename(vm.vmxPath) || name.endsWith(".nvram")) configFiles.push({ name, content: await readFile(join(folder, name)) });
  }
  // Written straight through the repository's writer: the point's layout is what matters here, not the pipeline.
  const image = await readFile(copy);
  const writer = await PointWriter.begin(repository, { vm: { name: vmName, id: String(vm.vmid) }, host: "test", configFiles, tags: [] });
  const disk = await writer.openDisk({ key: "scsi0:0", name: "web01.vmdk", sizeBytes: image.length, previousDiskKey: null });
  await disk.writeChunks(0, Buffer.from(image)); // handed to the workers: a copy, the test keeps `image`
  const committed = await writer.commit();
  return { pointId: committed.pointId, image };
}

for (const { version, python } of [{ version: "8.0", python: true }, { version: "6.7", python: false }] as { version: EsxiVersion; python: boolean }[]) {
  describe(`restoreToHost, ESXi ${version} ${python ? "with Python" : "without Python (dd)"}`, () => {
    let test: TestHost;
    let repository: Repository;
    let point: { pointId: PointId; image: Buffer };

    before(async () => {
      test = await startTestHost({
        esxiVersion: version,
        shell: { python },
        vms: [
          {
            name: "web01",
            vmid: 1,
            powerState: "poweredOn",
            disks: [{ slot: "scsi0:0", sizeBytes: 16 * MIB, dataRegions: [{ offsetBytes: 0, lengthBytes: 5 * MIB }, { offsetBytes: 9 * MIB, lengthBytes: 3 * MIB }] }],
            workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 },
          },
        ],
      });
      repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 64 * 1024, threads: 1 });
      point = await pointOf(test, repository, "web01");
    });
    after(async () => {
      await repository.close();
      await test.stop();
    });

    it("writes a disk equal to the point with the host's writer", async () => {
      const session = await test.open();
      const result = await restoreToHost({ session, repository, pointId: point.pointId, name: "copy", powerOn: false, channels: 3, signal: new AbortController().signal, clock: systemClock, progress: silent });
      assert.equal(result.method, python ? "python" : "dd");
      const restored = test.host.model?.vmByName("copy");
      assert.ok(restored !== undefined);
      assert.ok((await readFile(restored.disks[0]?.extentDataPaths[0] as string)).equals(point.image));
    });

    it("an abort while writing leaves no VM registered and removes the folder it made, nothing else", async () => {
      const session = await test.open();
      const datastore = dirname(dirname(test.host.model?.vmByName("web01").vmxPath ?? ""));
      const before = (await readdir(datastore)).sort();
      const controller = new AbortController();
      const steps: string[] = [];
      const progress: ProgressReporter = { start: () => ({ update: () => controller.abort(), stop: () => undefined }) };
      await assert.rejects(
        restoreToHost({ session, repository, pointId: point.pointId, name: "aborted", powerOn: false, channels: 1, signal: controller.signal, clock: systemClock, progress, onStep: (s) => steps.push(s) }),
        (error: unknown) => controller.signal.aborted && error instanceof Error,
      );
      assert.ok(steps.some((s) => s.startsWith("created /vmfs/volumes/datastore1/aborted/aborted.vmdk")), steps.join("\n"));
      assert.ok(steps.includes("removed /vmfs/volumes/datastore1/aborted"), steps.join("\n"));
      assert.deepEqual((await readdir(datastore)).sort(), before);
      assert.deepEqual(test.host.model?.inventory().map((vm) => vm.name).filter((name) => name === "aborted"), []);
      assert.equal(test.host.model?.vmByName("web01").powerState, "poweredOn");
    });

    it("a connection lost while writing fails the restore, and the folder it made is removed over a new connection", async () => {
      const relay = new CuttableRelay(test.host.port);
      try {
        const session = await test.open({ target: { host: "127.0.0.1", port: await relay.listen(), user: "root", password: test.password, esxiVersion: version }, reconnectDelayMs: () => 0 });
        const datastore = dirname(dirname(test.host.model?.vmByName("web01").vmxPath ?? ""));
        const before = (await readdir(datastore)).sort();
        const steps: string[] = [];
        let cut = false;
        const progress: ProgressReporter = {
          start: () => ({
            update: () => {
              if (!cut) relay.cut();
              cut = true;
            },
            stop: () => undefined,
          }),
        };
        await assert.rejects(
          restoreToHost({ session, repository, pointId: point.pointId, name: "cut", powerOn: false, channels: 2, signal: new AbortController().signal, clock: systemClock, progress, onStep: (s) => steps.push(s) }),
          /lost|closed/iu,
        );
        assert.ok(cut, "the connection was cut while writing");
        assert.ok(steps.includes("removed /vmfs/volumes/datastore1/cut"), steps.join("\n"));
        assert.deepEqual((await readdir(datastore)).sort(), before);
        assert.deepEqual(test.host.model?.inventory().filter((vm) => vm.name === "cut"), []);
      } finally {
        await relay.close();
      }
    });
  });
}
