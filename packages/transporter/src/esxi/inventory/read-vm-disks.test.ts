import assert from "node:assert/strict";
import { test } from "node:test";
import { HostOutputError } from "../parsers/host-output-error.js";
import { parseVmx } from "../parsers/parse-vmx.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import type { HostFileSource } from "./read-host-text-file.js";
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
