// What runVimCmd makes of what vim-cmd printed: a fault (whatever the exit status), vim-cmd's own words when
// it cannot reach hostd, a plain failed status, or output to parse. A session stands in for the host and
// answers with chosen texts, since a simulator's hostd cannot be made unreachable.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { ExecResult } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { HostdUnreachableError } from "./hostd-unreachable-error.js";
import { runVimCmd } from "./run-vim-cmd.js";
import { VimFaultError } from "./vim-fault-error.js";

function answering(stdout: string, stderr: string, exitCode: number): { exec: () => Promise<ExecResult>; label: string } {
  return { label: "esx1:22", exec: async () => ({ stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), exitCode, signal: undefined }) };
}

const run = (stdout: string, stderr: string, exitCode: number): Promise<unknown> => runVimCmd(answering(stdout, stderr, exitCode), sh`vim-cmd vmsvc/getallvms`, "vim-cmd vmsvc/getallvms");

const cases: [string, [string, string, number], (error: unknown) => boolean][] = [
  ["a fault with status 0 is the fault", ['Get Snapshot:\n(vim.fault.NotFound) {\n   msg = "gone"\n}\n', "", 0], (e) => e instanceof VimFaultError && e.fault.name === "NotFound"],
  ["a fault on the failure line (ESXi 9.0, verbatim) is the fault", [fixtureText("fault-power-on-9.0-verbatim.txt"), "", 1], (e) => e instanceof VimFaultError && e.fault.name === "GenericVmConfigFault"],
  [
    "'Connect to localhost failed' on stderr: hostd unreachable, retryable",
    ["", "Connect to localhost failed: Connection failure\n", 1],
    (e) => e instanceof HostdUnreachableError && e.retryable && e.line === "Connect to localhost failed: Connection failure" && /vim-cmd vmsvc\/getallvms: vim-cmd could not reach hostd/u.test(e.message),
  ],
  ["'Failed to login' on stdout with a failed status: hostd unreachable", ["Failed to login: Connection reset by peer\n", "", 255], (e) => e instanceof HostdUnreachableError && e.line === "Failed to login: Connection reset by peer"],
  ["any other failed status: a failed command quoting vim-cmd, not retryable", ["Power on failed\n", "", 1], (e) => e instanceof SshCommandFailedError && !e.retryable && /Power on failed/u.test(e.message)],
];
for (const [what, [stdout, stderr, exitCode], check] of cases) {
  test(`runVimCmd: ${what}`, async () => {
    await assert.rejects(run(stdout, stderr, exitCode), (error: unknown) => {
      assert.ok(check(error), String(error));
      return true;
    });
  });
}

test("runVimCmd: output that merely contains those words with status 0 is output (a VM may be named so)", async () => {
  const stdout = "Vmid   Name   File   Guest OS   Version   Annotation\n";
  assert.deepEqual(await run(stdout, "", 0), { stdout, stderr: "" });
  assert.deepEqual(await run("Failed to login: is a VM's annotation line\n", "", 0), { stdout: "Failed to login: is a VM's annotation line\n", stderr: "" });
});

test("runVimCmd: a listing whose annotations hold a pasted fault is the listing, not that fault", async () => {
  const stdout = fixtureText("getallvms-annotation-fault-text-derived.txt");
  assert.deepEqual(await run(stdout, "", 0), { stdout, stderr: "" });
});
