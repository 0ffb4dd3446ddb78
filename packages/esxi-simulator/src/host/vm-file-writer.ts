/**
 * Writes a VM's small files from its inventory record: the `.vmx` (pointing each disk at its current
 * descriptor), the `.vmsd`, and a base disk's descriptor. The .vmx is replaced atomically.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ctkFileOf, flatFileOf } from "./disk-file-names.js";
import type { VmLayout } from "./vm-layout.js";
import { currentDescriptor, vmFileBase, type DiskRecord, type VmRecord } from "./vm-record.js";
import { randomHex } from "./vm-identity.js";
import { renderBaseDescriptor } from "./vmdk-descriptor.js";
import { renderVmsd } from "./vmsd-file.js";
import { vmxGuestOs } from "./guest-os-ids.js";
import { renderVmx } from "./vmx-file.js";
import { swapFiles } from "./running-vm-files.js";

export class VmFileWriter {
  constructor(private readonly layout: VmLayout) {}

  async writeVmx(vm: VmRecord): Promise<void> {
    const ds = this.layout.datastoreOf(vm);
    const base = vmFileBase(vm);
    const swap = swapFiles(vm);
    const text = renderVmx({
      displayName: vm.name,
      guestOs: vmxGuestOs(vm.guestId),
      hardwareVersion: vm.hardwareVersion,
      memoryMB: vm.memoryMB,
      numCpus: vm.numCpus,
      annotation: vm.annotation,
      cbt: vm.cbt,
      uuidBios: vm.uuidBios,
      vcUuid: vm.vcUuid,
      disks: vm.disks.map((d) => ({ slot: d.slot, fileName: currentDescriptor(d), ctk: vm.cbt })),
      fileBase: base,
      swapPath: `/vmfs/volumes/${ds.uuid}/${vm.folder}/${swap.vswp}`,
      hostLog: `./${swap.hostLog}`,
    });
    const path = join(this.layout.vmDir(vm), vm.vmxFile);
    await writeFile(`${path}.tmp`, text);
    await rename(`${path}.tmp`, path);
  }

  async writeVmsd(vm: VmRecord): Promise<void> {
    await writeFile(join(this.layout.vmDir(vm), `${vmFileBase(vm)}.vmsd`), renderVmsd(vm));
  }

  async writeBaseDescriptor(vm: VmRecord, disk: DiskRecord): Promise<void> {
    const text = renderBaseDescriptor({
      cid: disk.cid,
      sizeBytes: disk.sizeBytes,
      flatFile: flatFileOf(disk.baseFile),
      thin: disk.provisioning === "thin",
      adapterType: disk.adapterType,
      uuid: disk.uuid,
      longContentId: `${randomHex(12)}${disk.cid}`,
      hardwareVersion: vm.hardwareVersion,
      ...(vm.cbt ? { ctkFile: ctkFileOf(disk.baseFile) } : {}),
    });
    await writeFile(join(this.layout.vmDir(vm), disk.baseFile), text);
  }
}
