// `vim-cmd vmsvc/power.on` as real hosts answer it (esxi-facts 1.2): success is the header alone; ESXi
// 6.0/6.5 report a refusal as `Power on failed` under the header, with an exit status that is not known to
// be non-zero; and the command sometimes says it failed although the VM came up. A session stands in for the
// host and answers each command with a chosen text, since a simulator cannot be made to refuse a power-on of
// a VM that is off.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ExecResult } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { fixtureText } from "../parsers/fixture-text.js";
import { powerOnFailureLine, powerOnVm } from "./power-on-vm.js";
import { VimFaultError } from "./vim-fault-error.js";

interface Answer {
  stdout: string;
  exitCode?: number;
}

/** Answers `power.on` and `power.getstate` with the given texts, and records what was run. */
function hostAnswering(answers: { powerOn: Answer; getState?: Answer }): { exec: (command: ShellCommand) => Promise<ExecResult>; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    exec: async (command) => {
      ran.push(command.text);
      const answer = /power\.on/u.test(command.text) ? answers.powerOn : answers.getState;
      if (answer === undefined) throw new Error(`unexpected command ${command.text}`);
      return { stdout: Buffer.from(answer.stdout), stderr: Buffer.alloc(0), exitCode: answer.exitCode ?? 0, signal: undefined };
    },
  };
}

describe("powerOnFailureLine", () => {
  it("finds nothing in the header a successful power-on prints", () => {
    assert.equal(powerOnFailureLine("Powering on VM:\n"), undefined);
    assert.equal(powerOnFailureLine(""), undefined);
  });

  it("finds the failure line ESXi 6.0/6.5 print under the header", () => {
    assert.equal(powerOnFailureLine("Powering on VM:\nPower on failed\n"), "Power on failed");
    assert.equal(powerOnFailureLine("Powering on VM:\r\nPower on failed\r\n"), "Power on failed");
  });
});

describe("powerOnVm", () => {
  it("takes the header alone as success, without asking the power state", async () => {
    const host = hostAnswering({ powerOn: { stdout: "Powering on VM:\n" } });
    await powerOnVm(host, 7);
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7"]);
  });

  it("a `Power on failed` with exit status 0 and the VM still off is a failure, not a success", async () => {
    const host = hostAnswering({ powerOn: { stdout: "Powering on VM:\nPower on failed\n" }, getState: { stdout: "Retrieved runtime info\nPowered off\n" } });
    await assert.rejects(powerOnVm(host, 7), (error: Error) => {
      assert.match(error.message, /vim-cmd vmsvc\/power\.on of VM 7: the host printed "Power on failed", and the VM is powered off/u);
      return true;
    });
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/power.getstate 7"]);
  });

  it("a `Power on failed` while the VM did come up is a success", async () => {
    const host = hostAnswering({ powerOn: { stdout: "Powering on VM:\nPower on failed\n" }, getState: { stdout: "Retrieved runtime info\nPowered on\n" } });
    await powerOnVm(host, 7);
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/power.getstate 7"]);
  });

  it("a non-zero exit without a fault is checked the same way: a failure quoting what vim-cmd printed while the VM is off, a success once it is on", async () => {
    const off = hostAnswering({ powerOn: { stdout: "Powering on VM:\nPower on failed\n", exitCode: 1 }, getState: { stdout: "Retrieved runtime info\nPowered off\n" } });
    await assert.rejects(powerOnVm(off, 7), (error: Error) => {
      assert.match(error.message, /`vim-cmd vmsvc\/power\.on 7` failed with exit code 1: Powering on VM: Power on failed/u);
      return true;
    });
    assert.deepEqual(off.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/power.getstate 7"]);
    const on = hostAnswering({ powerOn: { stdout: "Powering on VM:\nPower on failed\n", exitCode: 1 }, getState: { stdout: "Retrieved runtime info\nPowered on\n" } });
    await powerOnVm(on, 7);
    assert.deepEqual(on.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/power.getstate 7"]);
  });

  it("a fault under the header is a failure, whatever the exit status", async () => {
    const fault = 'Powering on VM:\n(vim.fault.InvalidPowerState) {\n   faultCause = (vmodl.MethodFault) null,\n   faultMessage = <unset>,\n   requestedState = "poweredOn",\n   existingState = "poweredOn",\n   msg = "The attempted operation cannot be performed in the current state (Powered on)."\n}\n';
    const host = hostAnswering({ powerOn: { stdout: fault } });
    await assert.rejects(powerOnVm(host, 7), /InvalidPowerState/u);
  });

  it("the fault an ESXi 9.0 host printed on its `Power on failed:` line (verbatim) is that fault, with the host's words", async () => {
    const host = hostAnswering({ powerOn: { stdout: fixtureText("fault-power-on-9.0-verbatim.txt") } });
    await assert.rejects(powerOnVm(host, 1698), (error: unknown) => {
      assert.ok(error instanceof VimFaultError);
      assert.equal(error.fault.type, "vim.fault.GenericVmConfigFault");
      assert.match(error.message, /vim-cmd vmsvc\/power\.on of VM 1698: the host answered with vim\.fault\.GenericVmConfigFault: This host does not support AMD-V\./u);
      return true;
    });
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 1698"]);
  });
});
