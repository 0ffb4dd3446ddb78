/**
 * HostFileMemo against an in-memory host (our session port): a file asked for twice, even at once, is read
 * from the host once; a read that failed is asked for again. And a VM's inventory read through it leaves
 * its `.vmx` and descriptors there for the backup, which then reads none of them again.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { ExecResult, StreamingExec } from "../ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { withExecStream } from "../testing/exec-stream-of.js";
import { HostFileMemo } from "./read-host-text-file.js";
import { readVmInventory } from "./read-vm-inventory.js";

function countingHost(answer: (text: string) => string | Error): { session: { label: string; exec(c: ShellCommand): Promise<ExecResult>; execStream(c: ShellCommand): Promise<StreamingExec> }; commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    session: withExecStream({
      label: "fake:22",
      async exec(command: ShellCommand): Promise<ExecResult> {
        commands.push(command.text);
        await new Promise((resolve) => setImmediate(resolve));
        const out = answer(command.text);
        if (out instanceof Error) throw out;
        return { stdout: Buffer.from(out), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined };
      },
    }),
  };
}

test("a file asked for twice, the second time while the first read is under way, is read from the host once", async () => {
  const host = countingHost(() => "config.version = \"8\"\n");
  const files = new HostFileMemo(host.session);
  const [first, second] = await Promise.all([files.bytes("/vmfs/volumes/ds/a/a.vmx", "a .vmx"), files.bytes("/vmfs/volumes/ds/a/a.vmx", "a .vmx")]);
  const third = await files.bytes("/vmfs/volumes/ds/a/a.vmx", "a .vmx");
  assert.equal(host.commands.length, 1);
  assert.equal(first.toString(), "config.version = \"8\"\n");
  assert.equal(second, first);
  assert.equal(third, first);
  await files.bytes("/vmfs/volumes/ds/a/a.nvram", "an .nvram");
  assert.equal(host.commands.length, 2, "another path is another read");
});

test("a read that failed is not kept: the next asks the host again", async () => {
  let fail = true;
  const host = countingHost(() => (fail ? new SshCommandFailedError("fake:22", "cat", { exitCode: 1, stderr: "cat: busy" }) : "ok\n"));
  const files = new HostFileMemo(host.session);
  await assert.rejects(files.bytes("/vmfs/volumes/ds/a/a.vmx", "a .vmx"), SshCommandFailedError);
  fail = false;
  assert.equal((await files.bytes("/vmfs/volumes/ds/a/a.vmx", "a .vmx")).toString(), "ok\n");
  assert.equal(host.commands.length, 2);
});

test("after a VM's inventory read through the memo, its .vmx and base descriptor are there without another read", async () => {
  const host = countingHost((text) => {
    if (text.includes("power.getstate")) return "Retrieved runtime info\nPowered on\n";
    if (text.includes("snapshot.get")) return "Get Snapshot:\n";
    // Never snapshotted: the .vmsd is absent, which its one read answers as empty.
    if (text.includes("web.vmsd")) return "";
    if (text.includes("web.vmx")) return 'displayName = "web"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "web.vmdk"\n';
    return fixtureText("vmdk-base-thin-verbatim.txt");
  });
  const files = new HostFileMemo(host.session);
  const vm = await readVmInventory(host.session, { vmid: "7", name: "web", file: "[ds] web/web.vmx", datastore: "ds", vmxPath: "web/web.vmx", guestOs: "otherGuest", version: "vmx-14", annotation: "" }, { files });
  const readsForInventory = host.commands.length;
  const disk = vm.disks[0];
  assert.ok(disk !== undefined);
  await files.bytes(vm.vmxPath, "the .vmx");
  await files.bytes(disk.baseDescriptorPath, "the base descriptor");
  assert.equal(host.commands.length, readsForInventory, `read again: ${host.commands.slice(readsForInventory).join(" | ")}`);
  assert.equal(host.commands.filter((c) => c.startsWith("cat -- ")).length, 2, "the .vmx and the descriptor, once each");
  assert.deepEqual(
    host.commands.filter((c) => c.includes(".vmsd")),
    ["test ! -e /vmfs/volumes/ds/web/web.vmsd || cat -- /vmfs/volumes/ds/web/web.vmsd"],
    "the .vmsd, absent or not, in one command",
  );
});
