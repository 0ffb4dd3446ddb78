/**
 * readHostInventory over real SSH against simulated 6.7, 7.0 and 8.0 hosts: running and powered-off VMs,
 * a VM with two user snapshots (listed, its disks followed down to the base), an independent disk and a
 * physical RDM (written into a VM's files as a user would, the simulator has no config for them), a VM
 * named with shell metacharacters, a VM the host skips as invalid and one whose descriptor is gone
 * (both reported, the rest read).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EsxiVersion } from "@esxbackup/domain";
import { fixtureText } from "../parsers/fixture-text.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { startTestHost, type TestHost } from "../testing/simulated-esxi-host.js";
import type { HostInventory, InventoryVm } from "./host-inventory.js";
import { readHostInventory } from "./read-host-inventory.js";

const MIB = 1024 * 1024;
const DS = "/vmfs/volumes/datastore1";
/** Quotes of both kinds, `$(…)`, backticks, `;`, `&`, brackets and non-ASCII: a shell that sees it unquoted runs `touch`. */
export const AWKWARD_VM_NAME = `db "prod" $(touch pwned); \`touch pwned2\` & [x] 'q' ü`;
const quiet = { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 };
const disk = (slot: string, provisioning = "thin"): object => ({ slot, sizeBytes: 4 * MIB, provisioning, dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] });

export function inventoryTestVms(hardwareVersion: number): object[] {
  return [
    { name: "web01", vmid: 1, guestId: "ubuntu64Guest", annotation: "front end\nowner: web", powerState: "poweredOn", hardwareVersion, disks: [disk("scsi0:0")], workload: quiet },
    { name: "archive", vmid: 2, guestId: "centos7_64Guest", powerState: "poweredOff", cbt: true, hardwareVersion, disks: [disk("scsi0:0", "zeroedthick")], workload: quiet },
    {
      name: "db",
      vmid: 3,
      powerState: "poweredOn",
      hardwareVersion,
      snapshots: [{ name: "before upgrade", description: "taken by hand" }, { name: "after upgrade" }],
      disks: [disk("scsi0:0")],
      workload: quiet,
    },
    { name: "files", vmid: 4, powerState: "poweredOff", hardwareVersion, disks: [disk("scsi0:0"), disk("scsi0:1")], workload: quiet },
    { name: AWKWARD_VM_NAME, vmid: 5, powerState: "poweredOn", hardwareVersion, disks: [disk("sata0:0")], workload: quiet },
    { name: "gone", vmid: 6, powerState: "poweredOff", hardwareVersion, disks: [disk("scsi0:0")], workload: quiet },
    { name: "broken", vmid: 7, powerState: "poweredOff", hardwareVersion, disks: [disk("scsi0:0")], workload: quiet },
  ];
}

/**
 * What a user could have done to the host's files: `files` gets an independent second disk and a physical
 * RDM, `gone` loses its .vmx (the host then skips it), `broken` loses its disk's descriptor.
 */
export async function alterInventoryTestHost(session: EsxiSshSession): Promise<void> {
  const filesVmx = `${DS}/files/files.vmx`;
  const lines = ['scsi0:1.mode = "independent-persistent"', 'scsi0:2.present = "TRUE"', 'scsi0:2.deviceType = "scsi-hardDisk"', 'scsi0:2.fileName = "rdm.vmdk"'];
  await session.exec(sh`printf '%s\n' ${lines} >> ${filesVmx}`);
  await session.exec(sh`cat > ${`${DS}/files/rdm.vmdk`}`, { stdin: Buffer.from(fixtureText("vmdk-rdm-physical-derived.txt")) });
  await session.exec(sh`rm ${`${DS}/gone/gone.vmx`} ${`${DS}/broken/broken.vmdk`}`);
}

const HW: Record<EsxiVersion, number> = { "6.7": 14, "7.0": 19, "8.0": 20 };

for (const version of ["6.7", "7.0", "8.0"] as const) {
  describe(`readHostInventory against a simulated ESXi ${version} host`, () => {
    let t: TestHost;
    let inventory: HostInventory;
    const vm = (name: string): InventoryVm => {
      const found = inventory.vms.find((v) => v.name === name);
      assert.ok(found !== undefined, `no VM ${name} in ${inventory.vms.map((v) => v.name).join(", ")}`);
      return found;
    };

    before(async () => {
      // 8.0 prints the invalid-VM line on stdout after the rows, the others on stderr (the stream is [UNCONFIRMED]).
      t = await startTestHost({ esxiVersion: version, vms: inventoryTestVms(HW[version]), tools: version === "8.0" ? { invalidVmLines: "stdout-after-rows" } : {} });
      const session = await t.open();
      await alterInventoryTestHost(session);
      inventory = await readHostInventory(session, { vmConcurrency: 2 });
    });
    after(async () => t.stop());

    it("lists every readable VM with its power state, guest, annotation, .vmx and datastore", () => {
      assert.deepEqual(
        inventory.vms.map((v) => [v.vmid, v.name, v.powerState, v.datastore, v.vmxPath]),
        [
          ["1", "web01", "poweredOn", "datastore1", `${DS}/web01/web01.vmx`],
          ["2", "archive", "poweredOff", "datastore1", `${DS}/archive/archive.vmx`],
          ["3", "db", "poweredOn", "datastore1", `${DS}/db/db.vmx`],
          ["4", "files", "poweredOff", "datastore1", `${DS}/files/files.vmx`],
          ["5", AWKWARD_VM_NAME, "poweredOn", "datastore1", `${DS}/${AWKWARD_VM_NAME}/${AWKWARD_VM_NAME}.vmx`],
        ],
      );
      assert.equal(vm("web01").guestOs, "ubuntu64Guest");
      assert.equal(vm("web01").annotation, "front end\nowner: web");
      assert.equal(vm("web01").hardwareVersion, `vmx-${HW[version]}`);
      const archive = vm("archive").disks[0];
      assert.deepEqual([archive?.slot, archive?.provisioning, archive?.cbtEnabled, archive?.capacityBytes], ["scsi0:0", "thick", true, 4 * MIB]);
      assert.deepEqual(
        vm("web01").disks.map((d) => [d.slot, d.provisioning, d.cbtEnabled, d.descriptorPath, d.extentPaths, d.deltaDescriptorPaths, d.refusal]),
        [["scsi0:0", "thin", false, `${DS}/web01/web01.vmdk`, [`${DS}/web01/web01-flat.vmdk`], [], undefined]],
      );
    });

    it("lists a VM's user snapshots, nested, and follows its disk from the newest delta down to the base", () => {
      const db = vm("db");
      assert.deepEqual(
        db.snapshots.map((s) => [s.name, s.description, typeof s.id, s.children.map((c) => [c.name, c.children.length])]),
        [["before upgrade", "taken by hand", "number", [["after upgrade", 0]]]],
      );
      const [d] = db.disks;
      assert.equal(d?.baseDescriptorPath, `${DS}/db/db.vmdk`);
      assert.deepEqual(d?.deltaDescriptorPaths, [`${DS}/db/db-000001.vmdk`, `${DS}/db/db-000002.vmdk`]);
      assert.equal(d?.descriptorPath, `${DS}/db/db-000002.vmdk`);
      assert.deepEqual(d?.extentPaths, [`${DS}/db/db-flat.vmdk`]);
      assert.equal(d?.refusal, undefined);
      assert.deepEqual(vm("web01").snapshots, []);
    });

    it("refuses the independent disk and the RDM, each with its reason; the plain disk beside them is fine", () => {
      const files = vm("files");
      assert.deepEqual(
        files.disks.map((d) => [d.slot, d.mode, d.rdm, d.refusal?.reason]),
        [
          ["scsi0:0", "persistent", undefined, undefined],
          ["scsi0:1", "independent-persistent", undefined, "independent"],
          ["scsi0:2", "persistent", "physical", "rdm"],
        ],
      );
      assert.match(files.disks[1]?.refusal?.message ?? "", /a snapshot does not freeze it/u);
      assert.match(files.disks[2]?.refusal?.message ?? "", /raw device mapping \(physical compatibility\)/u);
    });

    it("reads the VM named with shell metacharacters, and nothing in its name ran on the host", async () => {
      const awkward = vm(AWKWARD_VM_NAME);
      assert.deepEqual(awkward.disks.map((d) => [d.slot, d.descriptorPath]), [["sata0:0", `${DS}/${AWKWARD_VM_NAME}/${AWKWARD_VM_NAME}.vmdk`]]);
      const session = await t.open();
      const listing = await session.exec(sh`ls / /tmp`);
      assert.doesNotMatch(listing.stdout.toString(), /pwned/u);
    });

    it("reports the VM the host skips and the VM whose descriptor is gone, naming them, and reads the rest", () => {
      assert.deepEqual(inventory.skippedVmids, ["6"]);
      assert.deepEqual(
        inventory.unreadableVms.map((u) => [u.vmid, u.name, u.reason]),
        [
          ["7", "broken", "unreadable"],
          ["6", undefined, "invalid"],
        ],
      );
      const broken = inventory.unreadableVms[0];
      assert.equal(broken?.code, "ssh_command_failed");
      assert.match(broken?.message ?? "", /^VM 7 "broken": .*broken\.vmdk.*No such file or directory/u);
      assert.match(inventory.unreadableVms[1]?.message ?? "", /^VM 6: the host could not load it/u);
    });
  });
}
