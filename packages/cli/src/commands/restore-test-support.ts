/**
 * Test support for `esxbackup restore`: a recovery point of a simulated host's VM in the layout a VM backup
 * writes (docs: the point's `vm`, `host`, the `.vmx`/`.nvram`/`.vmsd` and the disk's descriptor as config
 * files, the disk under its `.vmx` slot), made with the transporter's pipeline over a copy of the VM's flat
 * file; and the simulated ESXi 8.0 host the restore tests run against. Not part of the CLI.
 */
import { copyFile, readFile, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { systemClock } from "@esxbackup/domain";
import type { VmConfigFile } from "@esxbackup/domain";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import { LocalDirectoryBlobStore, Repository } from "@esxbackup/repository";
import { LocalImageDiskSource, backUpDisk } from "@esxbackup/transporter/backup";

/** Backs up the VM's first disk into the repository at `repoDir`; returns the point id and the copied image. */
export async function pointOfSimulatedVm(host: SimulatedHost, vmName: string, repoDir: string, work: string): Promise<{ pointId: string; image: Buffer }> {
  const model = host.model;
  if (model === undefined) throw new Error("the simulated host has no model");
  const vm = model.vmByName(vmName);
  const disk = vm.disks[0];
  if (disk === undefined) throw new Error(`${vmName} has no disk`);
  const copy = join(work, `${vm.vmid}-flat.copy`);
  await copyFile(disk.extentDataPaths[0] as string, copy);
  const folder = dirname(vm.vmxPath);
  const wanted = new Set([basename(vm.vmxPath), basename(disk.descriptorPaths[0] as string)]);
  const configFiles: VmConfigFile[] = [];
  for (const name of (await readdir(folder)).sort()) {
    if (wanted.has(name) || /\.(nvram|vmsd)$/u.test(name)) configFiles.push({ name, content: await readFile(join(folder, name)) });
  }
  const repository = await Repository.open(new LocalDirectoryBlobStore(repoDir));
  const source = await LocalImageDiskSource.open(copy);
  try {
    const result = await backUpDisk({
      repository,
      source,
      point: { vm: { name: vm.name, id: String(vm.vmid) }, host: `127.0.0.1:${host.port}`, configFiles, tags: [] },
      disk: { key: disk.slot },
      changes: { kind: "all" },
      signal: new AbortController().signal,
      clock: systemClock,
      progress: { start: () => ({ update: () => undefined, stop: () => undefined }) },
    });
    return { pointId: result.point, image: await readFile(copy) };
  } finally {
    await source.close();
    await repository.close();
  }
}

/** A simulated ESXi 8.0 host with root's `password`, one 1 GiB datastore `datastore1` and `vms` (the simulator's VM config). */
export async function startRestoreTestHost(work: string, password: string, vms: unknown[]): Promise<SimulatedHost> {
  const config = parseHostConfig(
    {
      name: "esx01",
      esxiVersion: "8.0",
      ssh: { port: 0, users: [{ name: "root", password }] },
      datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1 << 30 }],
      vms,
    },
    "test",
  );
  return SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
}
