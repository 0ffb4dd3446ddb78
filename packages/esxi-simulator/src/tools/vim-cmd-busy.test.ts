// A host busy with another task on a VM (the fault `taskInProgress`): registervm, unregister and power.on are
// refused with `vim.fault.TaskInProgress`, as snapshot.create/remove are, and change nothing; power.on
// prints it as each release prints a refused power-on. And a look at a VM's question that fails (`vmMessage`).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostModel } from "../host/host-model.js";
import { withHostModel } from "../host/with-host-model.js";

const MIB = 1024 * 1024;

async function withHost(esxiVersion: "7.0" | "8.0", body: (model: HostModel) => Promise<void>): Promise<void> {
  await withHostModel(
    {
      esxiVersion,
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

const busyFault = (task: string): RegExp => new RegExp(`\\(vim\\.fault\\.TaskInProgress\\) \\{\\n {3}faultCause = \\(vmodl\\.MethodFault\\) null,\\s*\\n {3}faultMessage = <unset>,\\s*\\n {3}task = 'vim\\.Task:haTask-${task}-\\d+'\\n {3}msg = "Another task is already in progress\\."\\n\\}\\n$`, "u");

describe("a host busy with another task", () => {
  it("refuses unregister and registervm with TaskInProgress, changing nothing; the next call works", async () => {
    await withHost("8.0", async (model) => {
      const vmx = "/vmfs/volumes/datastore1/web/web.vmx";
      model.faults.busyWithAnotherTask(1);
      const unregister = await vimCmd(model, "vmsvc/unregister", "4");
      assert.equal(unregister.code, 1);
      assert.match(unregister.out, busyFault("4-vim\\.VirtualMachine\\.unregister"));
      assert.deepEqual(model.inventory().map((vm) => vm.vmid), [4], "still registered");
      assert.deepEqual(await vimCmd(model, "vmsvc/unregister", "4"), { out: "", code: 0 });
      model.faults.busyWithAnotherTask(1);
      const register = await vimCmd(model, "solo/registervm", vmx);
      assert.equal(register.code, 1);
      assert.match(register.out, busyFault("ha-folder-vm-vim\\.Folder\\.registerVm"));
      assert.deepEqual(model.inventory(), [], "nothing registered");
      assert.match((await vimCmd(model, "solo/registervm", vmx)).out, /^\d+\n$/u);
      assert.equal(model.inventory().length, 1);
    });
  });

  for (const [version, printed] of [
    ["8.0", (out: string) => out.startsWith("Powering on VM:\nPower on failed: (vim.fault.TaskInProgress) {\n") && busyFault("4-vim\\.VirtualMachine\\.powerOn").test(out)],
    ["7.0", (out: string) => out === "Powering on VM:\nPower on failed\n"],
  ] as const) {
    it(`refuses power.on as ${version} prints a refused power-on, the VM left off`, async () => {
      await withHost(version, async (model) => {
        model.faults.busyWithAnotherTask(1);
        const refused = await vimCmd(model, "vmsvc/power.on", "4");
        assert.equal(refused.code, 1);
        assert.ok(printed(refused.out), refused.out);
        assert.equal(model.vmByName("web").powerState, "poweredOff");
        assert.deepEqual(await vimCmd(model, "vmsvc/power.on", "4"), { out: "Powering on VM:\n", code: 0 });
        assert.equal(model.vmByName("web").powerState, "poweredOn");
      });
    });
  }

  it("`operations` narrows the fault: other calls go through and use up none of its tries", async () => {
    await withHost("8.0", async (model) => {
      model.faults.busyWithAnotherTask(1, ["unregister"]);
      assert.equal((await vimCmd(model, "vmsvc/power.on", "4")).code, 0);
      assert.equal((await vimCmd(model, "vmsvc/power.off", "4")).code, 0);
      assert.match((await vimCmd(model, "vmsvc/unregister", "4")).out, /vim\.fault\.TaskInProgress/u);
      assert.deepEqual(await vimCmd(model, "vmsvc/unregister", "4"), { out: "", code: 0 });
    });
  });
});

describe("a look at a VM's question that fails", () => {
  it("prints what is not the layout, or vim-cmd's words for a hostd it cannot reach, the next `tries` times, then shows the question again", async () => {
    await withHost("8.0", async (model) => {
      model.faults.failVmMessage({ tries: 1, kind: "garbled" });
      const garbled = await vimCmd(model, "vmsvc/message", "4");
      assert.equal(garbled.code, 0);
      assert.doesNotMatch(garbled.out, /^(No message\.|Virtual machine message)/u);
      model.faults.failVmMessage({ tries: 2, kind: "unreachable" });
      for (let look = 0; look < 2; look++) assert.deepEqual(await vimCmd(model, "vmsvc/message", "4"), { out: "Failed to login: Connection reset by peer\n", code: 1 });
      assert.deepEqual(await vimCmd(model, "vmsvc/message", "4"), { out: "No message.\n", code: 0 });
    });
  });
});
