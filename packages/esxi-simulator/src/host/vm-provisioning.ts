/**
 * Creates a configured VM's folder and files on its datastore (esxi-facts 2.1–2.3): `-flat.vmdk` extents
 * (sparse, with the configured data regions filled with seeded bytes), descriptors, `-ctk.vmdk` with CBT,
 * `.nvram`, `.vmxf`, `.vmx` and an empty `.vmsd`. Returns the inventory record, powered off and without
 * snapshots; the host takes the configured snapshots and power state afterwards.
 */
import { mkdir, open, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DiskConfig, HostConfig, VmConfig } from "../config/simulator-config.js";
import { writeCtkFile } from "./ctk-file.js";
import { ctkFileOf, flatFileOf } from "./disk-file-names.js";
import { seededBytes } from "./seeded-bytes.js";
import type { VmFileWriter } from "./vm-file-writer.js";
import { diskUuid, instanceUuid, randomHex, vmxUuid } from "./vm-identity.js";
import type { VmLayout } from "./vm-layout.js";
import type { DiskRecord, VmRecord } from "./vm-record.js";

const MIB = 1024 * 1024;

export class VmProvisioning {
  constructor(
    private readonly config: HostConfig,
    private readonly layout: VmLayout,
    private readonly writer: VmFileWriter,
  ) {}

  async create(c: VmConfig, vmid: number): Promise<VmRecord> {
    const ds = this.config.datastores.find((d) => d.name === (c.datastore ?? this.config.datastores[0]?.name));
    if (ds === undefined) throw new Error(`no datastore for ${c.name}`);
    const vm: VmRecord = {
      vmid,
      dsUuid: ds.uuid,
      folder: c.folder ?? c.name,
      vmxFile: `${c.name}.vmx`,
      name: c.name,
      guestId: c.guestId,
      annotation: c.annotation,
      powerState: "poweredOff",
      cbt: c.cbt,
      hardwareVersion: c.hardwareVersion,
      memoryMB: c.memoryMB,
      numCpus: c.numCpus,
      uuidBios: vmxUuid("564d"),
      vcUuid: vmxUuid("52"),
      instanceUuid: instanceUuid(),
      disks: [],
      snapshots: [],
      lastSnapshotUid: 0,
      workload: c.workload,
    };
    const dir = this.layout.vmDir(vm);
    await mkdir(dir, { recursive: true });
    c.disks.forEach((d, i) => {
      const baseFile = d.fileName ?? (i === 0 ? `${c.name}.vmdk` : `${c.name}_${i}.vmdk`);
      vm.disks.push({
        slot: d.slot,
        baseFile,
        sizeBytes: d.sizeBytes,
        provisioning: d.provisioning,
        uuid: diskUuid(),
        cid: randomHex(4),
        adapterType: d.slot.startsWith("ide") ? "ide" : d.slot.startsWith("sata") ? "ide" : "pvscsi",
        deltas: [],
        hotSet: c.workload.hotSet?.[d.slot] ?? d.dataRegions,
      });
    });
    for (const [i, disk] of vm.disks.entries()) await this.#createBaseDisk(vm, disk, c.disks[i] as DiskConfig);
    await writeFile(join(dir, `${c.name}.nvram`), seededBytes(`${c.name}/nvram`, 0, 8684));
    await writeFile(
      join(dir, `${c.name}.vmxf`),
      `<?xml version="1.0"?>\n<Foundry>\n<VM>\n<VMId type="string">${vm.instanceUuid}</VMId>\n<ClientMetaData>\n<clientMetaDataAttributes/>\n<HistoryEventList/></ClientMetaData>\n<vmxPathName type="string">${vm.vmxFile}</vmxPathName></VM></Foundry>\n`,
    );
    await this.writer.writeVmx(vm);
    await this.writer.writeVmsd(vm);
    return vm;
  }

  async #createBaseDisk(vm: VmRecord, disk: DiskRecord, c: DiskConfig): Promise<void> {
    const dir = this.layout.vmDir(vm);
    const flat = join(dir, flatFileOf(disk.baseFile));
    await (await open(flat, "wx")).close();
    await truncate(flat, disk.sizeBytes);
    const fh = await open(flat, "r+");
    try {
      for (const r of c.dataRegions) {
        for (let off = r.offsetBytes; off < r.offsetBytes + r.lengthBytes; off += MIB) {
          const len = Math.min(MIB, r.offsetBytes + r.lengthBytes - off);
          await fh.write(seededBytes(`${vm.name}/${disk.slot}`, off, len), 0, len, off);
        }
      }
    } finally {
      await fh.close();
    }
    await this.writer.writeBaseDescriptor(vm, disk);
    if (vm.cbt) await writeCtkFile(join(dir, ctkFileOf(disk.baseFile)), disk.sizeBytes);
  }
}
