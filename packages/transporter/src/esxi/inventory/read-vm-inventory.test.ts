/**
 * readHostInventory over real SSH against a simulated host, on the host's flag that a VM's disks need
 * consolidating (`snapshot.needConsolidate` in the `.vmsd`): a VM whose deltas are as many as its tree is deep
 * (the failed removal of a branch's snapshot, written into the `.vmsd` as the host writes it: the simulator's
 * trees do not branch) refused on the flag alone; a removal whose consolidation failed on the simulated host
 * refused; a chain longer than the path to the snapshot the `.vmsd` says is current refused without the flag;
 * the flag in the `.vmsd` of the VM's workingDir found; a `.vmsd` absent or unflagged not; a flag the
 * parser does not understand an error quoting its line.
 * Reading changes nothing on the host.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HostModel } from "@esxbackup/esxi-simulator";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { startTestHost, type TestHost } from "../testing/simulated-esxi-host.js";
import type { HostInventory, InventoryVm } from "./host-inventory.js";
import { readHostInventory } from "./read-host-inventory.js";

const MIB = 1024 * 1024;
const DS = "/vmfs/volumes/datastore1";
const quiet = { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 };
const disks = [
  { slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] },
  { slot: "scsi0:1", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] },
];
const vmsdOf = (name: string): string => `${DS}/${name}/${name}.vmsd`;

describe("readHostInventory and the host's flag that a VM's disks need consolidating", () => {
  let t: TestHost;
  let session: EsxiSshSession;
  let inventory: HostInventory;
  const vmsdBefore = new Map<string, string>();
  const vm = (name: string): InventoryVm => {
    const found = inventory.vms.find((v) => v.name === name);
    assert.ok(found !== undefined, `no VM ${name} in ${inventory.vms.map((v) => v.name).join(", ")}`);
    return found;
  };
  const cat = async (path: string): Promise<string> => (await session.exec(sh`cat -- ${path}`)).stdout.toString();

  before(async () => {
    const snapshots = [{ name: "A", description: "" }, { name: "C", description: "" }];
    t = await startTestHost({
      esxiVersion: "7.0",
      vms: [
        { name: "forked", vmid: 1, powerState: "poweredOn", snapshots, disks, workload: quiet },
        { name: "unmerged", vmid: 2, powerState: "poweredOn", disks: disks.slice(0, 1), workload: quiet },
        { name: "clean", vmid: 3, powerState: "poweredOn", snapshots, disks, workload: quiet },
        { name: "never", vmid: 4, powerState: "poweredOff", disks: disks.slice(0, 1), workload: quiet },
        { name: "garbled", vmid: 5, powerState: "poweredOff", disks: disks.slice(0, 1), workload: quiet },
        { name: "back-on-a", vmid: 7, powerState: "poweredOff", snapshots, disks: disks.slice(0, 1), workload: quiet },
        { name: "moved", vmid: 6, powerState: "poweredOff", snapshots: snapshots.slice(0, 1), disks: disks.slice(0, 1), workload: quiet },
      ],
    });
    session = await t.open();
    const model = t.host.model as HostModel;
    await session.exec(sh`printf '%s\n' ${'snapshot.needConsolidate = "TRUE"'} >> ${vmsdOf("forked")}`);
    await session.exec(sh`vim-cmd vmsvc/snapshot.create 2 ${"by hand"} ${""} 0 0`);
    model.faults.failConsolidation({ leavesDeltas: true });
    try {
      await session.exec(sh`vim-cmd vmsvc/snapshot.remove 2 1`, { check: false });
    } finally {
      model.faults.failConsolidation(null);
    }
    await session.exec(sh`rm -- ${vmsdOf("never")}`);
    // The VM inherits from A (uid 1) again while its chain keeps C's delta: what a failed removal of C leaves.
    await session.exec(sh`sed -i ${'s/^snapshot.current = .*/snapshot.current = "1"/'} ${vmsdOf("back-on-a")}`);
    // A workingDir set since: where the host keeps the .vmsd then is not confirmed, so a flag there counts too.
    await session.exec(sh`printf '%s\n' ${'workingDir = "/vmfs/volumes/datastore1/moved-snaps"'} >> ${`${DS}/moved/moved.vmx`}`);
    await session.exec(sh`mkdir -p ${`${DS}/moved-snaps`}`);
    await session.exec(sh`{ cat -- ${vmsdOf("moved")}; printf '%s\n' ${'snapshot.needConsolidate = "TRUE"'}; } > ${`${DS}/moved-snaps/moved.vmsd`}`);
    await session.exec(sh`printf '%s\n' ${'snapshot.needConsolidate = "perhaps"'} > ${vmsdOf("garbled")}`);
    for (const name of ["forked", "unmerged", "clean"]) vmsdBefore.set(name, await cat(vmsdOf(name)));
    inventory = await readHostInventory(session);
  });
  after(async () => t.stop());

  it("refuses every disk of a VM the host flags though its deltas are as many as its snapshots stack deep", () => {
    const forked = vm("forked");
    assert.deepEqual(
      forked.disks.map((d) => [d.slot, d.deltaDescriptorPaths.length, d.refusal?.reason]),
      [
        ["scsi0:0", 2, "consolidation-needed"],
        ["scsi0:1", 2, "consolidation-needed"],
      ],
    );
    assert.equal(forked.snapshots.length, 1, "two snapshots, one under the other");
    assert.match(
      forked.disks[0]?.refusal?.message ?? "",
      new RegExp(
        `^scsi0:0 has 2 delta disks in its chain \\(.*\\), and the host says the VM's disks need consolidation \\(snapshot\\.needConsolidate = "TRUE" in ${vmsdOf("forked")}\\): .*ESXi Host Client: the VM's Snapshots → Consolidate disks`,
        "u",
      ),
    );
  });

  it("refuses the disk of a VM whose snapshot removal failed to consolidate, naming the flag beside the count", () => {
    const [disk] = vm("unmerged").disks;
    assert.deepEqual(vm("unmerged").snapshots, []);
    assert.equal(disk?.refusal?.reason, "consolidation-needed");
    assert.match(disk?.refusal?.message ?? "", /but the VM has no snapshot: the host left deltas no snapshot owns \(disk consolidation needed, as its snapshot\.needConsolidate = "TRUE" in .*unmerged\.vmsd says\)/u);
  });

  it("refuses a disk with more deltas than snapshots between its base and the snapshot the .vmsd says the VM runs on, though the tree is as deep", () => {
    const [disk] = vm("back-on-a").disks;
    assert.equal(disk?.deltaDescriptorPaths.length, 2);
    assert.equal(disk?.refusal?.reason, "consolidation-needed");
    assert.match(disk?.refusal?.message ?? "", /^scsi0:0 has 2 delta disks in its chain \(.*\) but the VM has 1 snapshot on the way to its current state: the host left deltas no snapshot owns \(disk consolidation needed\)/u);
  });

  it("finds the flag in the .vmsd of the VM's workingDir", () => {
    const [disk] = vm("moved").disks;
    assert.equal(disk?.refusal?.reason, "consolidation-needed");
    assert.match(disk?.refusal?.message ?? "", /\(snapshot\.needConsolidate = "TRUE" in \/vmfs\/volumes\/datastore1\/moved-snaps\/moved\.vmsd\)/u);
  });

  it("does not refuse a VM whose .vmsd is unflagged or absent", () => {
    assert.deepEqual(vm("clean").disks.map((d) => [d.deltaDescriptorPaths.length, d.refusal]), [
      [2, undefined],
      [2, undefined],
    ]);
    assert.deepEqual(vm("never").disks.map((d) => d.refusal), [undefined]);
  });

  it("reports a .vmsd it does not understand, quoting the line, and reads the rest", () => {
    assert.deepEqual(inventory.unreadableVms.map((u) => [u.vmid, u.name, u.code]), [["5", "garbled", "invalid_input"]]);
    assert.match(inventory.unreadableVms[0]?.message ?? "", /garbled\.vmsd \(the \.vmsd of VM 5 "garbled"\): 'snapshot\.needConsolidate' is not TRUE or FALSE, line 1: .*perhaps/u);
  });

  it("changes nothing on the host", async () => {
    for (const [name, text] of vmsdBefore) assert.equal(await cat(vmsdOf(name)), text, name);
    const tree = (await session.exec(sh`vim-cmd vmsvc/snapshot.get 1`)).stdout.toString();
    assert.match(tree, /Snapshot Name +: A\n[\s\S]*Snapshot Name +: C\n/u);
  });
});
