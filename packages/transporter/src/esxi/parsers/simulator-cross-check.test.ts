// A cross-check, not the source of truth (that is esxi-facts.md, through the golden files beside this):
// every parser reads what the simulated host prints and writes, for each ESXi release it simulates, and
// finds the VMs it was configured with. A failure here means the simulator or a parser is wrong; the
// golden tests say which.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { ESXI_VERSIONS, withHostModel } from "@esxbackup/esxi-simulator";
import type { EsxiVersion, HostModel } from "@esxbackup/esxi-simulator";
import { deriveVmDisks } from "../inventory/derive-vm-disks.js";
import { parseFault } from "./parse-fault.js";
import { parseGetAllVms } from "./parse-get-all-vms.js";
import { parsePowerState } from "./parse-power-state.js";
import { parseSnapshotTree } from "./parse-snapshot-tree.js";
import { parseVimObject } from "./parse-vim-object.js";
import { parseVmdkDescriptor, type VmdkDescriptor } from "./parse-vmdk-descriptor.js";
import { parseVmsd } from "./parse-vmsd.js";
import { parseVmx } from "./parse-vmx.js";
import { vimField, vimText } from "./vim-value.js";

const MIB = 1024 * 1024;
const WEB = 'web [prod] "$x" Ünï';

async function withHost(esxiVersion: EsxiVersion, body: (model: HostModel) => Promise<void>): Promise<void> {
  await withHostModel(
    {
      esxiVersion,
      datastores: [{ name: "datastore1 (4)", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 256 * MIB }],
      vms: [
        {
          name: WEB,
          vmid: 10,
          guestId: "ubuntu64Guest",
          annotation: "line one\n  line two",
          powerState: "poweredOn",
          cbt: true,
          snapshots: [{ name: "before patch", description: "by the user" }],
          disks: [
            { slot: "scsi0:0", sizeBytes: 2 * MIB, provisioning: "thin" },
            { slot: "scsi0:1", sizeBytes: MIB, provisioning: "zeroedthick" },
          ],
        },
        { name: "db", vmid: 9, disks: [{ slot: "scsi0:0", sizeBytes: MIB }] },
      ],
    },
    body,
  );
}

async function vimCmd(model: HostModel, ...args: string[]): Promise<string> {
  const r = await model.tools.run({ tool: "vim-cmd", args, cwd: "/" });
  return r.stdout.toString();
}

for (const version of ESXI_VERSIONS) {
  test(`parsers read the simulated ESXi ${version} host`, async () => {
    await withHost(version, async (model) => {
      const listing = parseGetAllVms(await vimCmd(model, "vmsvc/getallvms"));
      assert.deepEqual(
        listing.vms.map((v) => [v.vmid, v.name, v.datastore, v.annotation]),
        [
          ["10", WEB, "datastore1 (4)", "line one\n  line two"],
          ["9", "db", "datastore1 (4)", ""],
        ],
      );

      const tree = parseSnapshotTree(await vimCmd(model, "vmsvc/snapshot.get", "10"));
      assert.deepEqual(
        tree.roots.map((s) => [s.name, s.description]),
        [["before patch", "by the user"]],
      );
      await vimCmd(model, "vmsvc/snapshot.create", "10", "esxbackup-run", "", "0", "0");
      const after = parseSnapshotTree(await vimCmd(model, "vmsvc/snapshot.get", "10"));
      assert.deepEqual(after.roots[0]?.children.map((c) => c.name), ["esxbackup-run"]);

      const web = model.vmByName(WEB);
      const vmx = parseVmx(await readFile(web.vmxPath, "utf8"), web.vmxPath);
      assert.equal(vmx.displayName, WEB);
      assert.equal(vmx.annotation, "line one\n  line two");
      const descriptors = new Map<string, VmdkDescriptor>();
      let disks = deriveVmDisks({ vmx, vmxPath: web.vmxPath, descriptors });
      while (!disks.complete) {
        for (const path of disks.missingDescriptors) descriptors.set(path, parseVmdkDescriptor(await readFile(path, "utf8"), path));
        disks = deriveVmDisks({ vmx, vmxPath: web.vmxPath, descriptors });
      }
      assert.deepEqual(
        disks.disks.map((d) => [d.slot, d.capacityBytes, d.provisioning, d.cbtEnabled, d.deltaDescriptorPaths.length, d.refusal]),
        [
          ["scsi0:0", 2 * MIB, "thin", true, 2, undefined],
          ["scsi0:1", MIB, "thick", true, 2, undefined],
        ],
      );
      const vmsd = parseVmsd(await readFile(web.vmxPath.replace(/\.vmx$/u, ".vmsd"), "utf8"));
      assert.deepEqual(
        vmsd.snapshots.map((s) => s.displayName),
        ["before patch", "esxbackup-run"],
      );

      const summary = parseVimObject(await vimCmd(model, "vmsvc/get.summary", "10"));
      assert.equal(vimText(vimField(summary, "config.name")), WEB);
      assert.equal(vimText(vimField(summary, "runtime.powerState")), "poweredOn");
      for (const args of [["vmsvc/get.guest", "10"], ["vmsvc/device.getdevices", "10"], ["vmsvc/get.config", "10"], ["hostsvc/hostsummary"], ["hostsvc/datastore/listsummary"]]) {
        const value = parseVimObject(await vimCmd(model, ...args), `vim-cmd ${args.join(" ")}`);
        assert.ok(value.kind === "object" || value.kind === "list", args.join(" "));
      }
      assert.equal(parsePowerState(await vimCmd(model, "vmsvc/power.getstate", "10")), "poweredOn");
      assert.equal(parsePowerState(await vimCmd(model, "vmsvc/power.getstate", "9")), "poweredOff");
      const fault = parseFault(await vimCmd(model, "vmsvc/power.getstate", "999"));
      assert.equal(fault?.name, "NotFound");
      assert.equal(fault?.message, 'Unable to find a VM corresponding to "999"');
      // A refused power-on: the 8.0 fault on the failure line is found; 6.7/7.0's bare wording holds none.
      const refused = parseFault(await vimCmd(model, "vmsvc/power.on", "10"));
      assert.equal(refused?.name, version === "8.0" ? "InvalidPowerState" : undefined);
    });
  });
}
