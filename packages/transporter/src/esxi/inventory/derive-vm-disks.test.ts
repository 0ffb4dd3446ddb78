import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { parseVmdkDescriptor, type VmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";
import { parseVmx } from "../parsers/parse-vmx.js";
import { datastoreFilePath } from "./datastore-file-path.js";
import { deriveVmDisks, diskModeRefusal, refuseUnownedDeltas, type DerivedVmDisks } from "./derive-vm-disks.js";
import type { DiskRefusal, InventoryDisk } from "./host-inventory.js";

const DIR = "/vmfs/volumes/datastore1/db";
const thin = fixtureText("vmdk-base-thin-verbatim.txt");
const thick = fixtureText("vmdk-base-thick-old-verbatim.txt");

/** Reads what deriveVmDisks asks for from `files` until it asks for nothing, as the host adapter will. */
function derive(vmxText: string, vmxPath: string, files: Record<string, string>): { result: DerivedVmDisks; rounds: string[][] } {
  const descriptors = new Map<string, VmdkDescriptor>();
  const rounds: string[][] = [];
  for (;;) {
    const result = deriveVmDisks({ vmx: parseVmx(vmxText), vmxPath, descriptors });
    if (result.complete) return { result, rounds };
    rounds.push([...result.missingDescriptors]);
    for (const path of result.missingDescriptors) {
      const text = files[path];
      if (text === undefined) throw new Error(`test host has no ${path}`);
      descriptors.set(path, parseVmdkDescriptor(text, path));
    }
  }
}

test("derive disks: CBT, an independent disk in a subfolder, an IDE disk elsewhere, an RDM; CD-ROM and absent slots skipped", () => {
  const { result, rounds } = derive(fixtureText("vmx-8.0-disks-derived.txt"), `${DIR}/db.vmx`, {
    [`${DIR}/db.vmdk`]: fixtureText("vmdk-cbt-version3-derived.txt").replace('"vmfs"', '"vmfs"\nddb.thinProvisioned = "1"'),
    [`${DIR}/sub dir/data (1).vmdk`]: thin,
    "/vmfs/volumes/datastore2/shared/logs.vmdk": thick,
    [`${DIR}/rdm.vmdk`]: fixtureText("vmdk-rdm-physical-derived.txt"),
  });
  assert.deepEqual(rounds, [[`${DIR}/db.vmdk`, `${DIR}/sub dir/data (1).vmdk`, "/vmfs/volumes/datastore2/shared/logs.vmdk", `${DIR}/rdm.vmdk`]]);
  assert.ok(result.complete);
  assert.deepEqual(
    result.disks.map((d) => [d.slot, d.bus, d.descriptorPath, d.extentPaths, d.provisioning, d.cbtEnabled, d.mode, d.rdm, d.refusal?.reason]),
    [
      ["scsi0:0", "scsi", `${DIR}/db.vmdk`, [`${DIR}/VMname-flat.vmdk`], "thin", true, "persistent", undefined, undefined],
      ["scsi0:1", "scsi", `${DIR}/sub dir/data (1).vmdk`, [`${DIR}/sub dir/Base_R91-flat.vmdk`], "thin", true, "independent-persistent", undefined, "independent"],
      ["ide0:0", "ide", "/vmfs/volumes/datastore2/shared/logs.vmdk", ["/vmfs/volumes/datastore2/shared/sql-flat.vmdk"], "thick", false, "persistent", undefined, undefined],
      ["scsi0:2", "scsi", `${DIR}/rdm.vmdk`, [`${DIR}/lun7-rdmp.vmdk`], "thick", false, "persistent", "physical", "rdm"],
    ],
  );
  assert.equal(result.disks[0]?.capacityBytes, 220200960 * 512);
  assert.match(result.disks[1]?.refusal?.message ?? "", /^scsi0:1 is an independent-persistent disk: a snapshot does not freeze it/u);
  assert.match(result.disks[3]?.refusal?.message ?? "", /raw device mapping \(physical compatibility\)/u);
});

test("derive disks: a VM on a snapshot delta is followed down to its base, one level per round", () => {
  const vmx = 'scsi0:0.fileName = "web-000002.vmdk"\nscsi0:0.present = "TRUE"\nscsi0:0.deviceType = "scsi-hardDisk"\n';
  const delta = (cid: string, parentCid: string, parent: string, extent: string): string =>
    `# Disk DescriptorFile\nversion=1\nCID=${cid}\nparentCID=${parentCid}\ncreateType="seSparse"\nparentFileNameHint="${parent}"\nRW 41943040 SESPARSE "${extent}"\n`;
  const files = {
    [`${DIR}/web-000002.vmdk`]: delta("00000002", "00000001", "web-000001.vmdk", "web-000002-sesparse.vmdk"),
    [`${DIR}/web-000001.vmdk`]: delta("00000001", "3729b687", `${DIR}/web.vmdk`, "web-000001-sesparse.vmdk"),
    [`${DIR}/web.vmdk`]: thin,
  };
  const { result, rounds } = derive(vmx, `${DIR}/web.vmx`, files);
  assert.deepEqual(rounds, [[`${DIR}/web-000002.vmdk`], [`${DIR}/web-000001.vmdk`], [`${DIR}/web.vmdk`]]);
  assert.ok(result.complete);
  const [disk] = result.disks;
  assert.equal(disk?.baseDescriptorPath, `${DIR}/web.vmdk`);
  assert.deepEqual(disk?.deltaDescriptorPaths, [`${DIR}/web-000001.vmdk`, `${DIR}/web-000002.vmdk`]);
  assert.deepEqual(disk?.extentPaths, [`${DIR}/Base_R91-flat.vmdk`]);
  assert.equal(disk?.refusal, undefined);

  // The same chain with the middle delta's parent CID wrong: refused as broken, naming both files.
  const broken = derive(vmx, `${DIR}/web.vmx`, { ...files, [`${DIR}/web-000001.vmdk`]: delta("00000001", "0cb205b1", "web.vmdk", "web-000001-sesparse.vmdk") });
  assert.ok(broken.result.complete);
  assert.equal(broken.result.disks[0]?.refusal?.reason, "broken-chain");
  assert.match(broken.result.disks[0]?.refusal?.message ?? "", /web-000001\.vmdk expects parent CID 0cb205b1, .*web\.vmdk has 3729b687/u);
});

test("derive disks: a delta that names no parent, and a chain that loops, are refused rather than followed forever", () => {
  const vmx = 'scsi0:0.fileName = "a.vmdk"\nscsi0:0.present = "TRUE"\n';
  const orphan = derive(vmx, `${DIR}/a.vmx`, { [`${DIR}/a.vmdk`]: '# Disk DescriptorFile\nversion=1\nCID=00000001\nparentCID=00000002\ncreateType="seSparse"\nRW 8 SESPARSE "a-s.vmdk"\n' });
  assert.ok(orphan.result.complete);
  assert.match(orphan.result.disks[0]?.refusal?.message ?? "", /a delta without parentFileNameHint/u);
  const loop = derive(vmx, `${DIR}/a.vmx`, { [`${DIR}/a.vmdk`]: '# Disk DescriptorFile\nversion=1\nCID=00000001\nparentCID=00000001\ncreateType="seSparse"\nparentFileNameHint="a.vmdk"\nRW 8 SESPARSE "a-s.vmdk"\n' });
  assert.ok(loop.result.complete);
  assert.equal(loop.result.disks[0]?.refusal?.reason, "broken-chain");
});

test("datastore paths: a named datastore and the empty one of system VMs", () => {
  assert.equal(datastoreFilePath("datastore1 (4)", "sap-router/win2k8x64.vmx"), "/vmfs/volumes/datastore1 (4)/sap-router/win2k8x64.vmx");
  assert.equal(datastoreFilePath("", "/var/run/crx/infraSvc/vcls.vmx"), "/var/run/crx/infraSvc/vcls.vmx");
});

function chainDisk(slot: string, deltas: number, refusal?: InventoryDisk["refusal"]): InventoryDisk {
  const deltaDescriptorPaths = Array.from({ length: deltas }, (_, i) => `${DIR}/db-00000${i + 1}.vmdk`);
  return {
    slot,
    bus: "scsi",
    descriptorPath: deltaDescriptorPaths.at(-1) ?? `${DIR}/db.vmdk`,
    baseDescriptorPath: `${DIR}/db.vmdk`,
    extentPaths: [`${DIR}/db-flat.vmdk`],
    deltaDescriptorPaths,
    capacityBytes: 1 << 30,
    provisioning: "thin",
    cbtEnabled: false,
    mode: "persistent",
    rdm: undefined,
    refusal,
  };
}

const VMSD = `${DIR}/db.vmsd`;
const unowned: { name: string; deltas: number[]; snapshots: number; flagged?: boolean; refused: string[] }[] = [
  { name: "no snapshot, no delta", deltas: [0, 0], snapshots: 0, refused: [] },
  { name: "one delta per disk under one snapshot", deltas: [1, 1], snapshots: 1, refused: [] },
  { name: "a branch: one delta, a tree two snapshots deep", deltas: [1], snapshots: 2, refused: [] },
  { name: "three deltas under a tree two deep (three snapshots in two branches)", deltas: [3], snapshots: 2, refused: ["scsi0:0"] },
  { name: "a disk added after the snapshot has no delta of its own", deltas: [1, 0], snapshots: 1, refused: [] },
  { name: "a delta and no snapshot: consolidation needed", deltas: [1, 0], snapshots: 0, refused: ["scsi0:0"] },
  { name: "three deltas, two snapshots", deltas: [3, 2], snapshots: 2, refused: ["scsi0:0"] },
  // A → {B, C}, the VM on C, C removed and not consolidated: as many deltas as the tree is deep.
  { name: "flagged by the host, deltas as deep as the tree (a branch's removal failed)", deltas: [2, 2], snapshots: 2, flagged: true, refused: ["scsi0:0", "scsi0:1"] },
  { name: "flagged by the host, fewer deltas than the tree is deep", deltas: [1], snapshots: 2, flagged: true, refused: ["scsi0:0"] },
  { name: "flagged by the host: a disk on its base alone holds its writes", deltas: [1, 0], snapshots: 1, flagged: true, refused: ["scsi0:0"] },
  { name: "flagged by the host, no delta anywhere", deltas: [0], snapshots: 0, flagged: true, refused: [] },
  { name: "flagged by the host and more deltas than snapshots", deltas: [2], snapshots: 1, flagged: true, refused: ["scsi0:0"] },
];
for (const c of unowned) {
  test(`deltas no snapshot owns: ${c.name}`, () => {
    const disks = refuseUnownedDeltas(
      c.deltas.map((n, i) => chainDisk(`scsi0:${i}`, n)),
      c.snapshots,
      c.flagged === true ? { vmsdPath: VMSD } : undefined,
    );
    assert.deepEqual(disks.filter((d) => d.refusal?.reason === "consolidation-needed").map((d) => d.slot), c.refused);
  });
}

const ADVICE =
  "consolidate the VM's disks on the host (ESXi Host Client: the VM's Snapshots → Consolidate disks; vSphere Client: Snapshots → Consolidate), which keeps its snapshots, then back it up";
const LINKED_CLONE = `(if the base ${DIR}/db.vmdk belongs to another VM, this disk is a linked clone of it, which is not backed up)`;

test("deltas no snapshot owns: the reason names the deltas and what to do; a disk refused already keeps its reason", () => {
  const [unownedDelta, independent] = refuseUnownedDeltas([chainDisk("scsi0:0", 1), chainDisk("scsi0:1", 1, { reason: "independent", message: "independent" })], 0);
  assert.equal(
    unownedDelta?.refusal?.message,
    `scsi0:0 has 1 delta disk in its chain (${DIR}/db-000001.vmdk) but the VM has no snapshot: the host left deltas no snapshot owns (disk consolidation needed), and a backup of the base disk would miss the writes in them; ${ADVICE} ${LINKED_CLONE}`,
  );
  assert.equal(independent?.refusal?.reason, "independent");
});

test("deltas no snapshot owns: the host's flag is named, alone or beside the count", () => {
  const [hidden] = refuseUnownedDeltas([chainDisk("scsi0:0", 2)], 2, { vmsdPath: VMSD });
  assert.equal(
    hidden?.refusal?.message,
    `scsi0:0 has 2 delta disks in its chain (${DIR}/db-000001.vmdk, ${DIR}/db-000002.vmdk), and the host says the VM's disks need consolidation (snapshot.needConsolidate = "TRUE" in ${VMSD}): a snapshot removal left deltas no snapshot owns, and a backup of the base disk would miss the writes in them; ${ADVICE}`,
  );
  const [counted] = refuseUnownedDeltas([chainDisk("scsi0:0", 1)], 0, { vmsdPath: VMSD });
  assert.match(counted?.refusal?.message ?? "", /^scsi0:0 has 1 delta disk in its chain \(.*\) but the VM has no snapshot: the host left deltas no snapshot owns \(disk consolidation needed, as its snapshot\.needConsolidate = "TRUE" in .*db\.vmsd says\)/u);
});

// `.mode` values: the .vmx's spelling of the vSphere API's VirtualDiskMode (persistent, nonpersistent,
// undoable, independent_persistent, independent_nonpersistent, append), with a hyphen where the API has `_`.
const modes: [string, DiskRefusal["reason"] | undefined][] = [
  ["persistent", undefined],
  ["independent-persistent", "independent"],
  ["independent-nonpersistent", "independent"],
  ["independent_persistent", "independent"],
  ["nonpersistent", "disk-mode"],
  ["undoable", "disk-mode"],
  ["append", "disk-mode"],
  ["dependent", "disk-mode"],
];
for (const [mode, reason] of modes) {
  test(`disk mode ${JSON.stringify(mode)}: ${reason ?? "backed up"}`, () => {
    assert.equal(diskModeRefusal("scsi0:0", mode)?.reason, reason);
  });
}

test("derive disks: the mode as written in any case, an empty mode as the default, a redo-log mode refused with the reason", () => {
  const vmx = (mode: string): string => `scsi0:0.fileName = "a.vmdk"\nscsi0:0.present = "TRUE"\nscsi0:0.mode = "${mode}"\n`;
  const disk = (mode: string): InventoryDisk | undefined => {
    const { result } = derive(vmx(mode), `${DIR}/a.vmx`, { [`${DIR}/a.vmdk`]: thin });
    return result.complete ? result.disks[0] : undefined;
  };
  assert.equal(disk("Persistent")?.refusal, undefined);
  assert.equal(disk("")?.mode, "persistent");
  assert.equal(disk("")?.refusal, undefined);
  assert.equal(disk("Independent-Persistent")?.refusal?.reason, "independent");
  assert.equal(disk("undoable")?.refusal?.message, "scsi0:0 is in undoable mode: the guest's writes go to a redo log beside the disk, so the disk holds an older state than the guest sees");
});

test("derive disks: an encrypted disk (its wrapped key and the crypto filter in the descriptor) is refused, its neighbour is not", () => {
  const vmx = 'scsi0:0.fileName = "a.vmdk"\nscsi0:0.present = "TRUE"\nscsi0:1.fileName = "b.vmdk"\nscsi0:1.present = "TRUE"\nscsi0:2.fileName = "c.vmdk"\nscsi0:2.present = "TRUE"\n';
  const withKeys = thin.replace('createType="vmfs"', 'createType="vmfs"\nencryptionKeys="vmware:key/list/(pair/(fqid/<VMWARE-NULL>/KMS/a4e7494f-da55-4917-9d90-560c5078866b,HMAC-SHA-256,KPYD5Dzg))"');
  const filtered = thin.replace('ddb.geometry.cylinders', 'ddb.iofilters = "vmwarevmcrypt"\nddb.geometry.cylinders');
  const { result } = derive(vmx, `${DIR}/a.vmx`, { [`${DIR}/a.vmdk`]: withKeys, [`${DIR}/b.vmdk`]: filtered, [`${DIR}/c.vmdk`]: thin });
  assert.ok(result.complete);
  assert.deepEqual(result.disks.map((d) => d.refusal?.reason), ["encrypted", "encrypted", undefined]);
  assert.match(result.disks[0]?.refusal?.message ?? "", /^scsi0:0 is an encrypted disk \(\/vmfs\/volumes\/datastore1\/db\/a\.vmdk\): its files hold ciphertext/u);
});

test("derive disks: ESXi 8.0's file (libvirt esx-in-the-wild-17) — both disks, the subfolder one resolved, the ISO never taken for a disk", () => {
  const dir = "/vmfs/volumes/datastore1/esx8.0-win11-with-second-disk-in-subfolder";
  const { result, rounds } = derive(fixtureText("vmx-8.0-verbatim.txt"), `${dir}/esx8.0-win11-with-second-disk-in-subfolder.vmx`, {
    [`${dir}/esx8.0-win11-with-second-disk-in-subfolder.vmdk`]: thin,
    [`${dir}/subfolder/esx8.0-win11-with-second-disk-in-subfolder_1.vmdk`]: thick,
  });
  assert.deepEqual(rounds, [[`${dir}/esx8.0-win11-with-second-disk-in-subfolder.vmdk`, `${dir}/subfolder/esx8.0-win11-with-second-disk-in-subfolder_1.vmdk`]]);
  assert.ok(result.complete);
  assert.deepEqual(
    result.disks.map((d) => [d.slot, d.extentPaths, d.mode, d.refusal]),
    [
      ["scsi0:0", [`${dir}/Base_R91-flat.vmdk`], "persistent", undefined],
      ["scsi0:1", [`${dir}/subfolder/sql-flat.vmdk`], "persistent", undefined],
    ],
  );
});

test("derive disks: every device type a .vmx writes — hard disks of each bus are disks, CD-ROMs and pass-through devices never are", () => {
  // Device types from ESXi files (libvirt's esx-in-the-wild samples) and libvirt's vmx.c mapping: IDE disks
  // say `ata-hardDisk` or nothing, NVMe disks nothing or `disk`.
  const vmx = [
    'ide0:0.fileName = "a.vmdk"', 'ide0:0.present = "TRUE"', 'ide0:0.deviceType = "ata-hardDisk"',
    'nvme0:0.fileName = "b.vmdk"', 'nvme0:0.present = "TRUE"',
    'nvme0:1.fileName = "c.vmdk"', 'nvme0:1.present = "TRUE"', 'nvme0:1.deviceType = "disk"',
    'sata0:0.fileName = "d.vmdk"', 'sata0:0.present = "TRUE"',
    'ide1:0.fileName = "/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0"', 'ide1:0.present = "TRUE"', 'ide1:0.deviceType = "atapi-cdrom"',
    'sata0:1.fileName = "/vmfs/volumes/iso/win.iso"', 'sata0:1.present = "TRUE"', 'sata0:1.deviceType = "cdrom-image"',
    'sata0:2.fileName = "CD/DVD drive 0"', 'sata0:2.present = "TRUE"', 'sata0:2.deviceType = "atapi-cdrom"',
    'scsi0:0.fileName = "/vmfs/devices/genscsi/naa.600508b1001c3e7a"', 'scsi0:0.present = "TRUE"', 'scsi0:0.deviceType = "scsi-passthru"',
    'scsi0:1.fileName = "e.vmdk"', 'scsi0:1.present = "FALSE"', 'scsi0:1.deviceType = "scsi-hardDisk"',
  ].join("\n");
  const { result } = derive(`${vmx}\n`, `${DIR}/db.vmx`, Object.fromEntries(["a", "b", "c", "d"].map((name) => [`${DIR}/${name}.vmdk`, thin])));
  assert.ok(result.complete);
  assert.deepEqual(result.disks.map((d) => [d.slot, d.bus]), [["ide0:0", "ide"], ["nvme0:0", "nvme"], ["nvme0:1", "nvme"], ["sata0:0", "sata"]]);
});

test("derive disks: a base that is not a file of the disk's bytes is refused, naming what it is", () => {
  const vmx = 'scsi0:0.fileName = "vsan.vmdk"\nscsi0:0.present = "TRUE"\nscsi0:1.fileName = "hosted.vmdk"\nscsi0:1.present = "TRUE"\n';
  const vsanBase = '# Disk DescriptorFile\nversion=4\nCID=fffffffe\nparentCID=ffffffff\ncreateType="vmfs"\nRW 83886080 VMFS "vsan://2c52ae55-aa2e-1f22-2d2e-001517a69c72"\n';
  const hosted = '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\nRW 4192256 SPARSE "hosted-s001.vmdk"\n';
  const { result } = derive(vmx, `${DIR}/db.vmx`, { [`${DIR}/vsan.vmdk`]: vsanBase, [`${DIR}/hosted.vmdk`]: hosted });
  assert.ok(result.complete);
  assert.deepEqual(
    result.disks.map((d) => [d.slot, d.refusal?.reason]),
    [
      ["scsi0:0", "unsupported-format"],
      ["scsi0:1", "unsupported-format"],
    ],
  );
  assert.match(result.disks[0]?.refusal?.message ?? "", /^scsi0:0: the base disk \/vmfs\/volumes\/datastore1\/db\/vsan\.vmdk is a vSAN object \(vsan:\/\/…\)/u);
  assert.match(result.disks[1]?.refusal?.message ?? "", /^scsi0:1: the base disk .*hosted\.vmdk is a sparse disk \(createType "twoGbMaxExtentSparse", extent SPARSE\)/u);
});
