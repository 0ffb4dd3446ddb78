/**
 * The files a running VM holds besides its disks and `.vmx.lck` (esxi-facts 2.1): its swap file
 * `<vm>-<8hex>.vswp` (the size of its memory), the vmx process's swap `vmx-<vm>-<n>-1.vswp`, and
 * `vmware.log`. All are locked while the VM runs; on power-off the swap files go and the log stays,
 * readable. The hex and number are derived from the VM's uuid so they stay put across restarts; the vmx
 * swap's size (100 MiB, sparse) is [UNCONFIRMED].
 */
import { appendFile, open } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { FileLocks } from "./file-lock.js";
import { vmFileBase, type VmRecord } from "./vm-record.js";

const MIB = 1024 * 1024;
const VMX_SWAP_BYTES = 100 * MIB;

/**
 * The swap file names, and the host log that shares the swap file's `<8hex>` (the .vmx's
 * `sched.swap.derivedName` and `migrate.hostlog`, esxi-facts 2.1/2.2: `test flo-988abbf8.vswp`,
 * `./test flo-988abbf8.hlog`).
 */
export function swapFiles(vm: VmRecord): { vswp: string; vmxSwap: string; hostLog: string } {
  const digest = createHash("sha256").update(vm.uuidBios).digest();
  const base = vmFileBase(vm);
  const hex = digest.subarray(0, 4).toString("hex");
  return { vswp: `${base}-${hex}.vswp`, vmxSwap: `vmx-${base}-${digest.readUInt32BE(4) % 1_000_000_000}-1.vswp`, hostLog: `${base}-${hex}.hlog` };
}

async function sparseFile(path: string, sizeBytes: number): Promise<void> {
  const fh = await open(path, "w");
  try {
    await fh.truncate(sizeBytes);
  } finally {
    await fh.close();
  }
}

/** Creates the swap files, appends to vmware.log, and locks all three (call at power-on). */
export async function startRunningFiles(dir: string, vm: VmRecord, locks: FileLocks, now: Date): Promise<void> {
  const { vswp, vmxSwap } = swapFiles(vm);
  await sparseFile(join(dir, vswp), vm.memoryMB * MIB);
  await sparseFile(join(dir, vmxSwap), VMX_SWAP_BYTES);
  await appendFile(join(dir, "vmware.log"), `${now.toISOString()} In(05) vmx - Log for VMware ESX pid=${vm.vmid} version=esxsim\n`);
  for (const name of [vswp, vmxSwap, "vmware.log"]) await locks.lock(join(dir, name));
}

/** Deletes the swap files and releases vmware.log (call at power-off or suspend). */
export async function stopRunningFiles(dir: string, vm: VmRecord, locks: FileLocks): Promise<void> {
  const { vswp, vmxSwap } = swapFiles(vm);
  for (const name of [vswp, vmxSwap]) await locks.remove(join(dir, name));
  await locks.unlock(join(dir, "vmware.log"));
}
