/**
 * Test support: a recovery point of a simulated host's VM — its `.vmx` and `.nvram` and its first disk,
 * written straight through the repository's writer (the point's layout is what restore tests need, not the
 * backup pipeline). Returns the point and the disk's bytes.
 */
import { strict as assert } from "node:assert";
import { copyFile, readFile, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { DiskGeometry, PointId, VmConfigFile } from "@esxbackup/domain";
import { PointWriter, type Repository } from "@esxbackup/repository";
import type { TestHost } from "../../esxi/testing/simulated-esxi-host.js";

export async function pointOfSimulatedVm(test: TestHost, repository: Repository, vmName: string, shape: { adapterType?: string; geometry?: DiskGeometry } = {}): Promise<{ pointId: PointId; image: Buffer }> {
  const vm = test.host.model?.vmByName(vmName);
  assert.ok(vm !== undefined);
  const copy = join(test.work, `${vm.vmid}.raw`);
  await copyFile(vm.disks[0]?.extentDataPaths[0] as string, copy);
  const folder = dirname(vm.vmxPath);
  const configFiles: VmConfigFile[] = [];
  for (const name of await readdir(folder)) {
    if (name === basename(vm.vmxPath) || name.endsWith(".nvram")) configFiles.push({ name, content: await readFile(join(folder, name)) });
  }
  const image = await readFile(copy);
  const writer = await PointWriter.begin(repository, { vm: { name: vmName, id: String(vm.vmid) }, host: "test", configFiles, tags: [] });
  const disk = await writer.openDisk({ key: "scsi0:0", name: "web01.vmdk", sizeBytes: image.length, previousDiskKey: null, ...shape });
  await disk.writeChunks(0, Buffer.from(image)); // handed to the workers: a copy, the caller keeps `image`
  const committed = await writer.commit();
  return { pointId: committed.pointId, image };
}
