// A power operation the VM's state refuses. ESXi 8.0 prints the fault on the failure line (`Power on failed:
// (vim.fault.…) {`, seen on a 9.0 host and quoted from an 8.0-era one); 6.7 and 7.0 keep the 6.0/6.5 wording of
// esxi-facts 1.2. Both [UNCONFIRMED] on those releases; these tests pin what the simulator prints.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import { parseHostConfig } from "../config/simulator-config.js";
import { HostModel } from "../host/host-model.js";
import { ManualScheduler } from "../host/workload.js";

const MIB = 1024 * 1024;

async function withHost(esxiVersion: string, body: (model: HostModel) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "esxsim-power-"));
  const config = parseHostConfig(
    {
      esxiVersion,
      datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 64 * MIB }],
      vms: [
        { name: "on", vmid: 3, powerState: "poweredOn", disks: [{ slot: "scsi0:0", sizeBytes: MIB }] },
        { name: "off", vmid: 4, disks: [{ slot: "scsi0:0", sizeBytes: MIB }] },
      ],
    },
    "test",
  );
  const model = await HostModel.open({ rootDir: join(dir, "root"), config, clock: new ManualClock(), scheduler: new ManualScheduler() });
  try {
    await body(model);
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const vimCmd = async (model: HostModel, ...args: string[]): Promise<{ out: string; code: number }> => {
  const r = await model.tools.run({ tool: "vim-cmd", args, cwd: "/" });
  return { out: r.stdout.toString(), code: r.exitCode };
};

test("ESXi 8.0: a refused power operation prints its InvalidPowerState on the failure line, laid out as the 9.0 host's", async () => {
  await withHost("8.0", async (model) => {
    assert.deepEqual(await vimCmd(model, "vmsvc/power.on", "3"), {
      out:
        "Powering on VM:\n" +
        "Power on failed: (vim.fault.InvalidPowerState) {\n" +
        "   faultCause = (vmodl.MethodFault) null, \n" +
        "   faultMessage = <unset>, \n" +
        '   requestedState = "poweredOn", \n' +
        '   existingState = "poweredOn"\n' +
        '   msg = "The attempted operation cannot be performed in the current state (Powered on)."\n' +
        "}\n",
      code: 1,
    });
    const off = await vimCmd(model, "vmsvc/power.off", "4");
    assert.match(off.out, /^Powering off VM:\nPower off failed: \(vim\.fault\.InvalidPowerState\) \{\n[\s\S]*existingState = "poweredOff"\n {3}msg = "The attempted operation cannot be performed in the current state \(Powered off\)\."\n\}\n$/u);
  });
});

test("ESXi 6.7 and 7.0: a refused power operation prints the 6.0/6.5 wording", async () => {
  for (const version of ["6.7", "7.0"]) {
    await withHost(version, async (model) => {
      assert.deepEqual(await vimCmd(model, "vmsvc/power.on", "3"), { out: "Powering on VM:\nPower on failed\n", code: 1 }, version);
    });
  }
});
