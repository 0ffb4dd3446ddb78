/**
 * A VM's disks as the host holds them now: `deriveVmDisks` says which descriptors it needs, they are read
 * over SSH (a level of every chain per round, the reads of a round at once), until it needs none. A
 * snapshot's delta is thereby followed down to its base. A descriptor's bytes go to the parser as they are: it
 * names a binary disk for what it is, and decodes text in the character set its `ddb.encoding` names (a disk
 * made by Workstation may say `windows-1252`).
 */
import { parseVmdkDescriptor, refuseBinaryDiskFormat, type VmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";
import type { ParsedVmx } from "../parsers/parse-vmx.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { deriveVmDisks } from "./derive-vm-disks.js";
import type { InventoryDisk } from "./host-inventory.js";
import { HostFileTooLargeError, hostFilesOf, type HostFileSource } from "./read-host-text-file.js";

/** `about` names the VM in errors (`VM 3 "web01"`). */
export async function readVmDisks(
  session: Pick<EsxiSshSession, "exec" | "execStream">,
  vm: { vmx: ParsedVmx; vmxPath: string; about: string },
  options: { signal?: AbortSignal; files?: HostFileSource } = {},
): Promise<readonly InventoryDisk[]> {
  const files = options.files ?? hostFilesOf(session);
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const descriptors = new Map<string, VmdkDescriptor>();
  for (;;) {
    const derived = deriveVmDisks({ vmx: vm.vmx, vmxPath: vm.vmxPath, descriptors });
    if (derived.complete) return derived.disks;
    const about = `a disk descriptor of ${vm.about}`;
    const contents = await Promise.all(derived.missingDescriptors.map((path) => readDescriptorBytes(files, path, about, signal)));
    derived.missingDescriptors.forEach((path, i) => {
      descriptors.set(path, parseVmdkDescriptor(contents[i] as Buffer, `${path} (${about})`));
    });
  }
}

/**
 * A hosted sparse disk of any real size is larger than a descriptor may be, so its read stops at the limit: its
 * first bytes still say what it is, which tells the user more than its size does.
 */
async function readDescriptorBytes(files: HostFileSource, path: string, about: string, signal: { signal?: AbortSignal }): Promise<Buffer> {
  try {
    return await files.bytes(path, about, signal);
  } catch (error) {
    if (error instanceof HostFileTooLargeError) refuseBinaryDiskFormat(error.firstBytes, `${path} (${about})`);
    throw error;
  }
}
