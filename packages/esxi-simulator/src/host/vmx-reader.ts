/**
 * Fills an inventory record from the VM's `.vmx` and its disks' descriptor chains (`registervm`, `reload`):
 * name, guest, memory, CPUs, CBT and, per disk, the chain from base to current delta (followed through
 * `parentFileNameHint`). Snapshots and power state are the caller's. A disk slot keeps its hot set.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { VmLayout } from "./vm-layout.js";
import type { DiskRecord, VmRecord } from "./vm-record.js";
import { diskUuid } from "./vm-identity.js";
import { parseDescriptor } from "./vmdk-descriptor.js";
import { vimGuestId } from "./guest-os-ids.js";
import { parseVmx, vmxDisks } from "./vmx-file.js";

const MIB = 1024 * 1024;
/** Longest descriptor chain followed (ESXi allows 32 snapshots). */
const MAX_CHAIN = 64;

export async function readVmxInto(layout: VmLayout, vm: VmRecord): Promise<void> {
  const dir = layout.vmDir(vm);
  const vmx = parseVmx(await readFile(join(dir, vm.vmxFile), "utf8"));
  vm.name = vmx.get("displayname") ?? vm.vmxFile.replace(/\.vmx$/u, "");
  const guest = vmx.get("guestos");
  if (guest !== undefined) vm.guestId = vimGuestId(guest);
  vm.annotation = vmx.get("annotation") ?? "";
  vm.memoryMB = Number(vmx.get("memsize") ?? vm.memoryMB);
  vm.numCpus = Number(vmx.get("numvcpus") ?? "1");
  vm.hardwareVersion = Number(vmx.get("virtualhw.version") ?? vm.hardwareVersion);
  vm.cbt = vmx.get("ctkenabled")?.toLowerCase() === "true";
  // The identity the .vmx carries; one without it (a copy made to run beside its original) keeps the
  // fresh one the caller made, as a host generates one for it.
  vm.uuidBios = vmx.get("uuid.bios") ?? vm.uuidBios;
  vm.vcUuid = vmx.get("vc.uuid") ?? vm.vcUuid;
  const disks: DiskRecord[] = [];
  for (const d of vmxDisks(vmx)) {
    const chain: string[] = [];
    let file = d.fileName;
    for (let guard = 0; guard < MAX_CHAIN; guard++) {
      chain.unshift(file);
      const info = parseDescriptor(await readFile(join(dir, file), "utf8"));
      if (info.parentFileNameHint === undefined) break;
      file = info.parentFileNameHint;
    }
    const baseFile = chain[0] ?? d.fileName;
    const info = parseDescriptor(await readFile(join(dir, baseFile), "utf8"));
    const old = vm.disks.find((x) => x.slot === d.slot);
    disks.push({
      slot: d.slot,
      baseFile,
      sizeBytes: info.sectors * 512,
      provisioning: info.thin ? "thin" : "zeroedthick",
      uuid: info.uuid ?? diskUuid(),
      cid: info.cid,
      adapterType: info.adapterType ?? "lsilogic",
      deltas: chain.slice(1),
      hotSet: old?.hotSet ?? [{ offsetBytes: 0, lengthBytes: Math.min(info.sectors * 512, 16 * MIB) }],
    });
  }
  vm.disks = disks;
}
