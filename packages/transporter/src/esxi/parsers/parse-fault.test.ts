import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parseFault } from "./parse-fault.js";

test("fault: the ESXi 6.7+/8 NotFound (esxi-facts 1.10, verbatim) — unescaped quotes, a field without a comma", () => {
  assert.deepEqual(parseFault(fixtureText("fault-not-found-8.0-verbatim.txt")), {
    type: "vim.fault.NotFound",
    name: "NotFound",
    message: 'Unable to find a VM corresponding to "2"',
    fields: {
      faultCause: { kind: "null", type: "vmodl.MethodFault" },
      faultMessage: { kind: "unset" },
      msg: { kind: "string", value: 'Unable to find a VM corresponding to "2"' },
    },
  });
});

test("fault: the ESXi 5.x NotFound with dynamicType and the ManagedObjectNotFound with tabs (verbatim)", () => {
  const old = parseFault(fixtureText("fault-not-found-5.x-verbatim.txt"));
  assert.equal(old?.message, 'Unable to find a VM corresponding to "16"');
  assert.deepEqual(Object.keys(old?.fields ?? {}), ["faultCause", "msg"]);
  const gone = parseFault(fixtureText("fault-managed-object-not-found-verbatim.txt"));
  assert.equal(gone?.type, "vmodl.fault.ManagedObjectNotFound");
  assert.deepEqual(gone?.fields["obj"], { kind: "ref", value: "vim.VirtualMachine:672" });
});

test("fault: after the command's own line (power.on on an old host, esxi-facts 1.2)", () => {
  const text = 'Powering on VM:\n(vim.fault.InvalidPowerState) {\n   faultCause = (vmodl.MethodFault) null,\n   requestedState = "poweredOn",\n   existingState = "poweredOn",\n   msg = "The attempted operation cannot be performed in the current state (Powered On).",\n}\n';
  const fault = parseFault(text);
  assert.equal(fault?.name, "InvalidPowerState");
  assert.deepEqual(fault?.fields["existingState"], { kind: "string", value: "poweredOn" });
});

test("fault: ordinary output holds none", () => {
  for (const text of ["", "Get Snapshot:\n", "Powering on VM:\n", fixtureText("vim-get-guest-8.0-verbatim.txt"), "34\n"]) assert.equal(parseFault(text), undefined);
});

test("fault: a fault cut off before its closing brace is an error, not 'no fault'", () => {
  const text = '   (vim.fault.AlreadyExists) {\n   faultCause = (vmodl.MethodFault) null,\n   name = "51",\n   msg = "The specified key, name, or identifier \'51\' already exists."\n';
  assert.throws(() => parseFault(text, "vim-cmd solo/registervm"), (e: unknown) => e instanceof HostOutputError && e.source === "vim-cmd solo/registervm" && /ends inside/u.test(e.message));
  assert.throws(() => parseFault("Powering on VM:\n(vim.fault.X) {\n   msg = what\n}\n"), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 3);
});

test("fault: a SystemError whose msg is empty is told by its reason (verbatim, a vpxd log in a public note: the same printer as vim-cmd's)", () => {
  const fault = parseFault(fixtureText("fault-system-error-vpxd-verbatim.txt"));
  assert.equal(fault?.type, "vmodl.fault.SystemError");
  assert.equal(fault?.message, "Cannot get user info");
});

const faultWordsCases: [string, string, string | undefined][] = [
  ["msg first", 'msg = "in msg",\n   reason = "in reason"', "in msg"],
  ["an empty msg gives way to reason", 'msg = "",\n   reason = "in reason"', "in reason"],
  ["a blank msg and no reason: the faultMessage texts", 'msg = "  ",\n   faultMessage = (vmodl.LocalizableMessage) [\n      (vmodl.LocalizableMessage) {\n         key = "msg.a",\n         arg = (vmodl.KeyAnyValue) [\n            (vmodl.KeyAnyValue) {\n               key = "1",\n               value = "ide0:0"\n            }\n         ],\n         message = "Device \'ide0:0\' already exists."\n      },\n      (vmodl.LocalizableMessage) {\n         key = "msg.b",\n         message = "second"\n      }\n   ]', "Device 'ide0:0' already exists.; second"],
  ["faultMessage entries without a message", 'faultMessage = (vmodl.LocalizableMessage) [\n      (vmodl.LocalizableMessage) {\n         key = "msg.a"\n      }\n   ]', undefined],
  ["nothing said at all", "faultCause = (vmodl.MethodFault) null,\n   faultMessage = <unset>", undefined],
  [
    "nothing said by the fault itself: the words of the fault that caused it",
    'faultCause = (vim.fault.FileNotFound) {\n      faultCause = (vmodl.MethodFault) null,\n      file = "[datastore1] web/web.vmdk",\n      msg = "File [datastore1] web/web.vmdk was not found"\n   },\n   msg = ""',
    "File [datastore1] web/web.vmdk was not found",
  ],
  ["the fault's own words before its cause's", 'faultCause = (vim.fault.FileNotFound) {\n      msg = "inner"\n   },\n   msg = "outer"', "outer"],
];
for (const [what, body, message] of faultWordsCases) {
  test(`fault message: ${what}`, () => {
    assert.equal(parseFault(`(vim.fault.GenericVmConfigFault) {\n   ${body}\n}\n`)?.message, message);
  });
}

test("fault: opened on the line that announces the failure (ESXi 9.0 power.on, verbatim, a public transcript) — found, with its faultMessage list and a string that ends on the next line", () => {
  const fault = parseFault(fixtureText("fault-power-on-9.0-verbatim.txt"), "vim-cmd vmsvc/power.on 1698");
  assert.equal(fault?.type, "vim.fault.GenericVmConfigFault");
  assert.equal(fault?.message, "This host does not support AMD-V.");
  const messages = fault?.fields["faultMessage"];
  assert.ok(messages?.kind === "list");
  assert.deepEqual(
    messages.items.map((m) => (m.kind === "object" ? m.fields["message"] : undefined)),
    [
      { kind: "string", value: "This host does not support AMD-V." },
      { kind: "string", value: "This host appears to be running in a virtual machine with VHV disabled. Ensure that VHV is enabled in the virtual machine configuration file." },
      { kind: "string", value: "Module 'MonitorMode' power on failed.\n" },
      { kind: "string", value: "Failed to start the virtual machine." },
    ],
  );
});

test("fault: the ESXi 9.0 reset failure (verbatim, same transcript) and other headings", () => {
  const reset =
    'Reset VM:\nReset failed: (vim.fault.InvalidPowerState) {\n   faultCause = (vmodl.MethodFault) null, \n   faultMessage = <unset>, \n   requestedState = "poweredOn", \n   existingState = "poweredOff"\n   msg = "The attempted operation cannot be performed in the current state (Powered off)."\n}\n';
  assert.deepEqual(parseFault(reset)?.fields["existingState"], { kind: "string", value: "poweredOff" });
  assert.equal(parseFault('Remove Snapshot:\nRemove snapshot failed: (vim.fault.NotFound) {\n   msg = "gone"\n}\n')?.name, "NotFound");
  // Not a fault: a heading without its colon, a non-fault type, a fault type mentioned inside a value.
  for (const text of ["Power on failed (vim.fault.NotFound) {\n}\n", "Devices: (vim.vm.VirtualHardware) {\n}\n", '   x = (vim.fault.NotFound) null,\n']) assert.equal(parseFault(text), undefined, text);
  // A fault after a heading that is cut off is an error quoting the host's line number, as without one.
  assert.throws(() => parseFault("Powering on VM:\nPower on failed: (vim.fault.X) {\n   msg = what\n}\n"), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 3);
});


test("fault: user text inside a command's result is not a fault — an annotation or a snapshot description holding a pasted fault (derived: the getallvms layout rule, esxi-facts 1.1; the description rule, 0)", () => {
  // vim-cmd prints a fault instead of its result, after its headings only; these open after the getallvms
  // header and after `|-ROOT`, inside user text the host prints raw.
  const listing = fixtureText("getallvms-annotation-fault-text-derived.txt");
  assert.equal(parseFault(listing, "vim-cmd vmsvc/getallvms"), undefined);
  const tree = fixtureText("snapshot-get-description-fault-text-derived.txt");
  assert.equal(parseFault(tree, "vim-cmd vmsvc/snapshot.get 7"), undefined);
  // The same fault with only headings above it is the command's fault.
  assert.equal(parseFault('Powering on VM:\n\nPower on failed: (vim.fault.GenericVmConfigFault) {\n   msg = "This host does not support AMD-V."\n}\n')?.name, "GenericVmConfigFault");
  // Headings are those parseVimObject skips before a dump, with or without their colon (`Runtime information`).
  assert.equal(parseFault('Runtime information\n(vim.fault.NotFound) {\n   msg = "gone"\n}\n')?.name, "NotFound");
  assert.equal(parseFault("Retrieved runtime info\nPowered on\n"), undefined);
});

test("fault: another task holds the VM (TaskInProgress, derived) — the task it names is a managed object reference", () => {
  const fault = parseFault(fixtureText("fault-task-in-progress-derived.txt"));
  assert.equal(fault?.type, "vim.fault.TaskInProgress");
  assert.equal(fault?.name, "TaskInProgress");
  assert.equal(fault?.message, "Another task is already in progress.");
  assert.deepEqual(fault?.fields["task"], { kind: "ref", value: "vim.Task:haTask-12-vim.VirtualMachine.createSnapshot-4711" });
});
