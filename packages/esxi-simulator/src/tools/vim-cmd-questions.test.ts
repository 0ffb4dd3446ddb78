// A VM whose .vmx connects a device to the host's own CD-ROM drive asks at power-on, as real hosts do, and
// `vim-cmd vmsvc/power.on` does not return until `vim-cmd vmsvc/message VMID ID CHOICE` answers it (its
// words are hosted products'; on ESXi [UNCONFIRMED]). An ISO image asks nothing.
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { HostModel } from "../host/host-model.js";
import { withHostModel } from "../host/with-host-model.js";
import { questionsAtPowerOn } from "../host/vm-questions.js";

const MIB = 1024 * 1024;

async function withHost(body: (model: HostModel) => Promise<void>): Promise<void> {
  await withHostModel(
    {
      esxiVersion: "8.0",
      datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 64 * MIB }],
      vms: [{ name: "web", vmid: 4, disks: [{ slot: "scsi0:0", sizeBytes: MIB }] }],
    },
    body,
  );
}

const vimCmd = async (model: HostModel, ...args: string[]): Promise<{ out: string; code: number }> => {
  const r = await model.tools.run({ tool: "vim-cmd", args, cwd: "/" });
  return { out: r.stdout.toString(), code: r.exitCode };
};

describe("questions at power-on", () => {
  it("asks about a device backed by the host's hardware that is connected at power-on, and nothing else", () => {
    const vmx = (lines: Record<string, string>): Map<string, string> => new Map(Object.entries(lines));
    assert.deepEqual(
      questionsAtPowerOn(vmx({ "ide1:0.present": "TRUE", "ide1:0.devicetype": "atapi-cdrom", "floppy0.present": "TRUE", "floppy0.filetype": "device", "serial0.present": "TRUE", "serial0.filetype": "file" })).map((q) => q.device),
      ["ide1:0", "floppy0"],
    );
    assert.deepEqual(questionsAtPowerOn(vmx({ "sata0:0.present": "TRUE", "sata0:0.devicetype": "cdrom-raw", "sata0:0.startconnected": "FALSE" })), []);
    assert.deepEqual(questionsAtPowerOn(vmx({ "sata0:0.present": "TRUE", "sata0:0.devicetype": "cdrom-image" })), []);
    assert.deepEqual(questionsAtPowerOn(vmx({ "sata0:0.present": "FALSE", "sata0:0.devicetype": "cdrom-raw" })), []);
  });

  it("holds power.on until the question is answered; `message` shows it, then `No message.`", async () => {
    await withHost(async (model) => {
      await appendFile(model.vmByName("web").vmxPath, 'ide1:0.present = "TRUE"\nide1:0.deviceType = "atapi-cdrom"\nide1:0.fileName = "/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0"\n');
      assert.equal((await vimCmd(model, "vmsvc/message", "4")).out, "No message.\n");
      let returned = false;
      const powerOn = vimCmd(model, "vmsvc/power.on", "4").then((result) => {
        returned = true;
        return result;
      });
      // Asked again until power.on has read the .vmx and posed its question: no timer, one turn of the
      // event loop between looks (a look alone runs in microtasks and would starve the file read).
      let shown = "No message.\n";
      for (let look = 0; look < 1000 && shown === "No message.\n"; look++) {
        await nextTurn();
        shown = (await vimCmd(model, "vmsvc/message", "4")).out;
      }
      assert.equal(
        shown,
        "Virtual machine message _vmx1:\nCannot connect the virtual device ide1:0 because no corresponding device is available on the host.\n" +
          "Do you want to try to connect this virtual device every time you power on the virtual machine?\n   0. _Yes (button.yes)\n   1. _No (button.no) [default]\n",
      );
      assert.equal(returned, false);
      assert.equal((await vimCmd(model, "vmsvc/power.getstate", "4")).out, "Retrieved runtime info\nPowered off\n");
      assert.match((await vimCmd(model, "vmsvc/message", "4", "_vmx9", "1")).out, /vim\.fault\.InvalidArgument/u);
      assert.match((await vimCmd(model, "vmsvc/message", "4", "_vmx1", "2")).out, /vim\.fault\.InvalidArgument/u);
      assert.deepEqual(await vimCmd(model, "vmsvc/message", "4", "_vmx1", "1"), { out: "", code: 0 });
      assert.deepEqual(await powerOn, { out: "Powering on VM:\n", code: 0 });
      assert.equal((await vimCmd(model, "vmsvc/power.getstate", "4")).out, "Retrieved runtime info\nPowered on\n");
      assert.equal((await vimCmd(model, "vmsvc/message", "4")).out, "No message.\n");
    });
  });
});
