/**
 * readHostInventory against an in-memory host (our session port): at most `vmConcurrency` VMs are read at
 * once; output a parser does not understand fails that VM with the parser's error naming the VM and the
 * command, and the others are read; a lost connection fails the whole read.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { SshConnectionLostError } from "../ssh/esxi-ssh-errors.js";
import type { ExecResult, StreamingExec } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { withExecStream } from "../testing/exec-stream-of.js";
import { readHostInventory } from "./read-host-inventory.js";

/** getallvms by the layout rule of esxi-facts 1.1 (widths from the longest value, centred labels, 3 spaces). */
function getAllVms(count: number): string {
  const labels = ["Vmid", "Name", "File", "Guest OS", "Version", "Annotation"];
  const rows = Array.from({ length: count }, (_, i) => [String(i + 1), `vm${i + 1}`, `[ds] vm${i + 1}/vm${i + 1}.vmx`, "otherGuest", "vmx-14", ""]).sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  const widths = labels.map((l, c) => Math.max(l.length, ...rows.map((r) => (r[c] as string).length)));
  const centred = labels.map((l, c) => {
    const left = Math.floor(((widths[c] as number) - l.length) / 2);
    return " ".repeat(left) + l.padEnd((widths[c] as number) - left);
  });
  return [centred, ...rows.map((r) => r.map((v, c) => v.padEnd(widths[c] as number)))].map((cells) => cells.join("   ")).join("\n") + "\n";
}
const VMX = (id: number): string => `displayName = "vm${id}"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "vm${id}.vmdk"\n`;

function fakeHost(vmCount: number, answer: (text: string) => string | Error): { session: { label: string; exec(c: ShellCommand): Promise<ExecResult>; execStream(c: ShellCommand): Promise<StreamingExec> }; maxVmsAtOnce: () => number } {
  const active = new Set<string>();
  let most = 0;
  return {
    maxVmsAtOnce: () => most,
    session: withExecStream({
      label: "fake:22",
      async exec(command: ShellCommand): Promise<ExecResult> {
        const vm = /vm(\d+)\b|vmsvc\/\S+ '?(\d+)'?/u.exec(command.text);
        const key = vm?.[1] ?? vm?.[2];
        if (key !== undefined) {
          active.add(key);
          most = Math.max(most, active.size);
        }
        // Let every other started read run before this one ends.
        await new Promise((resolve) => setImmediate(resolve));
        const out = command.text.includes("getallvms") ? getAllVms(vmCount) : answer(command.text);
        if (key !== undefined && !command.text.includes("power.getstate") && !command.text.includes("snapshot.get") && !command.text.endsWith(".vmx'") && !command.text.endsWith(".vmx")) active.delete(key);
        if (out instanceof Error) throw out;
        return { stdout: Buffer.from(out), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined };
      },
    }),
  };
}

const normal = (text: string): string => {
  if (text.includes("power.getstate")) return "Retrieved runtime info\nPowered off\n";
  if (text.includes("snapshot.get")) return "Get Snapshot:\n";
  // A VM never snapshotted: its .vmsd is absent, read as empty.
  if (text.includes(".vmsd")) return "";
  const vmx = /vm(\d+)\.vmx/u.exec(text);
  if (vmx?.[1] !== undefined) return VMX(Number(vmx[1]));
  return fixtureText("vmdk-base-thin-verbatim.txt");
};

test("at most vmConcurrency VMs are read at once, and every VM is read", async () => {
  const { session, maxVmsAtOnce } = fakeHost(9, normal);
  const inventory = await readHostInventory(session, { vmConcurrency: 2 });
  assert.equal(inventory.vms.length, 9);
  assert.ok(maxVmsAtOnce() >= 1 && maxVmsAtOnce() <= 2, `at most 2 VMs at once, saw ${maxVmsAtOnce()}`);
  const unbounded = fakeHost(9, normal);
  await readHostInventory(unbounded.session, { vmConcurrency: 9 });
  assert.ok(unbounded.maxVmsAtOnce() > 2, `the fake sees overlap when allowed, saw ${unbounded.maxVmsAtOnce()}`);
});

test("output not understood fails that VM with the parser's error naming the VM and command; the others are read", async () => {
  const { session } = fakeHost(3, (text) => (text.includes("power.getstate '2'") || text.includes("power.getstate 2") ? "Retrieved runtime info\nPowered sideways\n" : normal(text)));
  const inventory = await readHostInventory(session);
  assert.deepEqual(inventory.vms.map((v) => v.vmid), ["1", "3"]);
  assert.equal(inventory.unreadableVms.length, 1);
  assert.equal(inventory.unreadableVms[0]?.code, "invalid_input");
  assert.match(inventory.unreadableVms[0]?.message ?? "", /^vim-cmd vmsvc\/power\.getstate 2 \(VM 2 "vm2"\): not a power state .*"Powered sideways"/u);
});

test("a lost connection fails the whole read", async () => {
  const { session } = fakeHost(3, (text) => (text.includes("snapshot.get") ? new SshConnectionLostError("fake:22", "while reading") : normal(text)));
  await assert.rejects(readHostInventory(session), SshConnectionLostError);
});
