import assert from "node:assert/strict";
import { test } from "node:test";
import { HostOutputError } from "../parsers/host-output-error.js";
import { parseVmx } from "../parsers/parse-vmx.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { HostFileTooLargeError, MAX_HOST_TEXT_FILE_BYTES, type HostFileSource } from "./read-host-text-file.js";
import { readVmDisks } from "./read-vm-disks.js";

const DIR = "/vmfs/volumes/datastore1/café";
// Never used: every file comes from `files`.
const noSession = {} as Pick<EsxiSshSession, "exec" | "execStream">;
const filesOf = (contents: Record<string, Buffer>): HostFileSource => ({
  bytes: (path) => {
    const content = contents[path];
    return content === undefined ? Promise.reject(new Error(`no ${path}`)) : Promise.resolve(content);
  },
});
// A Workstation-made descriptor keeps its desktop's set: `ddb.encoding = "windows-1252"`, é as the byte 0xE9.
const descriptor = (encoding: string, extentName: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from('# Disk DescriptorFile\nversion=1\nCID=11307a7e\nparentCID=ffffffff\ncreateType="vmfs"\n\n# Extent description\nRW 188416 VMFS "', "latin1"),
    extentName,
    Buffer.from(`"\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = "lsilogic"\nddb.encoding = "${encoding}"\nddb.virtualHWVersion = "16"\n`, "latin1"),
  ]);
const vm = { vmx: parseVmx('scsi0:0.fileName = "disk1.vmdk"\nscsi0:0.present = "TRUE"\n'), vmxPath: `${DIR}/café.vmx`, about: 'VM 1 "café"' };

test("read disks: a descriptor is decoded in the set its ddb.encoding names, so a non-ASCII extent name is the file's", async () => {
  const files = filesOf({ [`${DIR}/disk1.vmdk`]: descriptor("windows-1252", Buffer.from([0x44, 0x6f, 0x6e, 0x6e, 0xe9, 0x65, 0x73, 0x2d, 0x66, 0x6c, 0x61, 0x74, 0x2e, 0x76, 0x6d, 0x64, 0x6b])) });
  const [disk] = await readVmDisks(noSession, vm, { files });
  assert.deepEqual(disk?.extentPaths, [`${DIR}/Données-flat.vmdk`]);
});

test("read disks: bytes the descriptor's set cannot decode are refused with their line, not read as another name", async () => {
  const files = filesOf({ [`${DIR}/disk1.vmdk`]: descriptor("UTF-8", Buffer.from([0x44, 0xe9, 0x2d, 0x66, 0x6c, 0x61, 0x74, 0x2e, 0x76, 0x6d, 0x64, 0x6b])) });
  await assert.rejects(
    readVmDisks(noSession, vm, { files }),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 8 && /the character set its 'ddb\.encoding' line names/u.test(e.message) && e.message.startsWith(`${DIR}/disk1.vmdk (a disk descriptor of VM 1 "café")`),
  );
});

test("read disks: a descriptor that names its set among the header lines (encoding=, as older hosts and Workstation write it)", async () => {
  const header = Buffer.concat([
    Buffer.from('# Disk DescriptorFile\nversion=1\nencoding="windows-1252"\nCID=11307a7e\nparentCID=ffffffff\ncreateType="vmfs"\n\n# Extent description\nRW 188416 VMFS "', "latin1"),
    Buffer.from([0x44, 0xe9, 0x2d, 0x66, 0x6c, 0x61, 0x74, 0x2e, 0x76, 0x6d, 0x64, 0x6b]),
    Buffer.from('"\n', "latin1"),
  ]);
  const [disk] = await readVmDisks(noSession, vm, { files: filesOf({ [`${DIR}/disk1.vmdk`]: header }) });
  assert.deepEqual(disk?.extentPaths, [`${DIR}/Dé-flat.vmdk`]);
});

/**
 * The first sectors of a monolithicSparse disk as `qemu-img create -f vmdk` writes it (QEMU `block/vmdk.c`,
 * `VMDK4Header`): magic KDMV, version 1, flags 3, capacity and grain size (128 = 0x80, not ASCII) in sectors,
 * the descriptor at sector 1, then the grain directories. A VM whose disk this is can be registered on a host.
 */
function monolithicSparseStart(descriptorText: string): Buffer {
  const header = Buffer.alloc(512);
  header.write("KDMV", 0, "latin1");
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(3, 8);
  header.writeBigUInt64LE(2097152n, 12);
  header.writeBigUInt64LE(128n, 20);
  header.writeBigUInt64LE(1n, 28);
  header.writeBigUInt64LE(20n, 36);
  header.writeUInt32LE(512, 44);
  header.writeBigUInt64LE(21n, 48);
  header.writeBigUInt64LE(150n, 56);
  header.writeBigUInt64LE(384n, 64);
  header.write("\n \r\n", 73, "latin1");
  const descriptorSectors = Buffer.alloc(20 * 512);
  descriptorSectors.write(descriptorText, 0, "latin1");
  return Buffer.concat([header, descriptorSectors]);
}

test("read disks: a hosted sparse disk (its descriptor inside, after binary header bytes) is named for what it is, not refused as undecodable text", async () => {
  const embedded = '# Disk DescriptorFile\nversion=1\nencoding="UTF-8"\nCID=160d2149\nparentCID=ffffffff\ncreateType="monolithicSparse"\n\n# Extent description\nRW 2097152 SPARSE "disk1.vmdk"\n';
  const files = filesOf({ [`${DIR}/disk1.vmdk`]: monolithicSparseStart(embedded) });
  await assert.rejects(
    readVmDisks(noSession, vm, { files }),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 1 && e.line === "KDMV" && /monolithicSparse or streamOptimized, magic KDMV\): .*convert it with vmkfstools -i/u.test(e.message) && e.message.startsWith(`${DIR}/disk1.vmdk (a disk descriptor of VM 1 "café")`),
  );
});

test("read disks: a hosted sparse disk too large to be read whole is named for what it is from its first bytes; another large file stays too large", async () => {
  const path = `${DIR}/disk1.vmdk`;
  const tooLarge = (firstBytes: Buffer): HostFileSource => ({ bytes: (p, about) => Promise.reject(new HostFileTooLargeError(p, about, MAX_HOST_TEXT_FILE_BYTES, firstBytes)) });
  const sparse = monolithicSparseStart('# Disk DescriptorFile\nversion=1\nCID=160d2149\nparentCID=ffffffff\ncreateType="monolithicSparse"\n');
  await assert.rejects(
    readVmDisks(noSession, vm, { files: tooLarge(sparse) }),
    (e: unknown) => e instanceof HostOutputError && e.line === "KDMV" && /magic KDMV\): .*convert it with vmkfstools -i/u.test(e.message) && e.message.startsWith(`${path} (a disk descriptor of VM 1 "café")`),
  );
  // A flat extent named where a descriptor belongs (a boot sector's bytes): only its size is known.
  const bootSector = Buffer.alloc(512);
  bootSector.write("\u00eb\u0063\u0090", 0, "latin1");
  await assert.rejects(readVmDisks(noSession, vm, { files: tooLarge(bootSector) }), (e: unknown) => e instanceof HostFileTooLargeError && e.path === path);
});
