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
import { SshConnectionLostError } from "../ssh/esxi-ssh-errors.js";
import { powerOnFailureLine, powerOnVm } from "./power-on-vm.js";
import { VimFaultError } from "./vim-fault-error.js";
import { VmQuestionPendingError } from "./vm-question-pending-error.js";

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

/**
 * A host whose `power.on` does not return while the VM has a question (as a real host's does not): it
 * returns once `vim-cmd vmsvc/message VMID ID CHOICE` answered it, and is stopped by our abort otherwise.
 */
function hostWithQuestion(questions: string[]): { exec: (command: ShellCommand, options?: { signal?: AbortSignal }) => Promise<ExecResult>; ran: string[]; powerOnStopped: () => boolean } {
  const ran: string[] = [];
  let answered: () => void = () => undefined;
  let stopped = false;
  const pending = [...questions];
  const result = (stdout: string): ExecResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined });
  return {
    ran,
    powerOnStopped: () => stopped,
    exec: async (command, options) => {
      ran.push(command.text);
      if (/power\.on/u.test(command.text)) {
        if (pending.length === 0) return result("Powering on VM:\n");
        return new Promise((resolve, reject) => {
          let returned = false;
          answered = () => {
            returned = true;
            resolve(result("Powering on VM:\n"));
          };
          options?.signal?.addEventListener("abort", () => {
            stopped = !returned;
            reject(new Error("stopped"));
          });
        });
      }
      if (/^vim-cmd vmsvc\/message 7$/u.test(command.text)) return result(pending[0] ?? "No message.\n");
      if (/^vim-cmd vmsvc\/message 7 \S+ \d+$/u.test(command.text)) {
        pending.shift();
        if (pending.length === 0) answered();
        return result("");
      }
      throw new Error(`unexpected command ${command.text}`);
    },
  };
}

const MOVED_OR_COPIED = "Virtual machine message _vmx1:\nmsg.uuid.altered:This virtual machine might have been moved or copied.\n   0. Cancel (Cancel)\n   1. I _moved it (I _moved it)\n   2. I _copied it (I _copied it) [default]\n";
const NO_CDROM = "Virtual machine message _vmx2:\nCannot connect the virtual device ide1:0 because no corresponding device is available on the host.\n   0. _Yes (button.yes)\n   1. _No (button.no) [default]\n";
/** No timer: each look for a question comes as soon as the power-on has not returned yet. */
const noWait = async (): Promise<void> => undefined;

describe("powerOnVm and the VM's questions", () => {
  it("answers `moved or copied` with `I copied it`, and the power-on it held up finishes", async () => {
    const host = hostWithQuestion([MOVED_OR_COPIED]);
    const answers: string[] = [];
    await powerOnVm(host, 7, { pause: noWait, onAnswered: (question, choice) => answers.push(`${question.id} ${choice.number}`) });
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/message 7", "vim-cmd vmsvc/message 7 _vmx1 2"]);
    assert.deepEqual(answers, ["_vmx1 2"]);
    assert.equal(host.powerOnStopped(), false);
  });

  it("answers no other question: stops waiting, quotes it and says where to answer it", async () => {
    const host = hostWithQuestion([NO_CDROM]);
    await assert.rejects(powerOnVm(host, 7, { pause: noWait }), (error: unknown) => {
      assert.ok(error instanceof VmQuestionPendingError);
      assert.equal(error.question.id, "_vmx2");
      assert.match(error.message, /VM 7 is waiting for an answer before it powers on: "Cannot connect the virtual device ide1:0 because no corresponding device is available on the host\.", choices: 0\. Yes; 1\. No \(default\)/u);
      assert.match(error.message, /Host Client.*`vim-cmd vmsvc\/message 7 _vmx2 CHOICE`/u);
      return true;
    });
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/message 7"]);
    assert.equal(host.powerOnStopped(), true);
  });

  it("a question that comes back after its safe answer is left to the user, not answered again", async () => {
    const host = hostWithQuestion([MOVED_OR_COPIED, MOVED_OR_COPIED]);
    await assert.rejects(powerOnVm(host, 7, { pause: noWait }), VmQuestionPendingError);
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7", "vim-cmd vmsvc/message 7", "vim-cmd vmsvc/message 7 _vmx1 2", "vim-cmd vmsvc/message 7"]);
  });

  it("looks for a question only while power.on has not returned", async () => {
    const host = hostWithQuestion([]);
    await powerOnVm(host, 7, { pause: () => new Promise(() => undefined) });
    assert.deepEqual(host.ran, ["vim-cmd vmsvc/power.on 7"]);
  });
});

/**
 * A host whose `power.on` returns only once `looks` looks for a question were answered, each with the next
 * of `looks` (a text, or an error thrown as the session would throw it).
 */
function hostWithFailingLooks(looks: (Answer | Error)[]): { exec: (command: ShellCommand, options?: { signal?: AbortSignal }) => Promise<ExecResult>; ran: string[] } {
  const ran: string[] = [];
  const left = [...looks];
  let lastLook: () => void = () => undefined;
  const allLooked = new Promise<void>((resolve) => (lastLook = resolve));
  return {
    ran,
    exec: async (command, options) => {
      ran.push(command.text);
      if (/power\.on/u.test(command.text)) {
        await allLooked;
        options?.signal?.throwIfAborted();
        return { stdout: Buffer.from("Powering on VM:\n"), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined };
      }
      if (/^vim-cmd vmsvc\/message 7$/u.test(command.text)) {
        const look = left.shift();
        if (left.length === 0) lastLook();
        if (look === undefined) throw new Error("looked once too often");
        if (look instanceof Error) throw look;
        return { stdout: Buffer.from(look.stdout), stderr: Buffer.alloc(0), exitCode: look.exitCode ?? 0, signal: undefined };
      }
      throw new Error(`unexpected command ${command.text}`);
    },
  };
}

describe("powerOnVm when a look for a question fails", () => {
  it("output that is not the layout, vim-cmd not reaching hostd, a failed command, a fault: told once, and power.on's own answer decides", async () => {
    const host = hostWithFailingLooks([
      { stdout: "Unexpected message state: 0x2a\n" },
      { stdout: "Failed to login: Connection reset by peer\n", exitCode: 1 },
      { stdout: "", exitCode: 1 },
      { stdout: "(vim.fault.NotFound) {\n   faultCause = (vmodl.MethodFault) null,\n   msg = \"The object or item referred to could not be found.\"\n}\n", exitCode: 1 },
      { stdout: "No message.\n" },
    ]);
    const told: string[] = [];
    await powerOnVm(host, 7, { pause: noWait, onQuestionCheckFailed: (problem) => told.push(problem) });
    assert.equal(host.ran.filter((command) => command === "vim-cmd vmsvc/message 7").length, 5);
    assert.equal(told.length, 1, told.join("\n"));
    assert.match(told[0] ?? "", /vim-cmd vmsvc\/message 7/u);
    assert.match(told[0] ?? "", /Unexpected message state: 0x2a/u);
  });

  it("a connection lost during a look is not a failed look: it ends the power-on, for the caller to ask the power state", async () => {
    const host = hostWithFailingLooks([new SshConnectionLostError("esx1", "while the command was running")]);
    const told: string[] = [];
    await assert.rejects(powerOnVm(host, 7, { pause: noWait, onQuestionCheckFailed: (problem) => told.push(problem) }), SshConnectionLostError);
    assert.deepEqual(told, []);
  });
});
