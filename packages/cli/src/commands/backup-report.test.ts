import assert from "node:assert/strict";
import { test } from "node:test";
import { formatVmLines, type VmReport } from "./backup-report.js";

test("a failure worded as an earlier VM's points to that VM; other failures are printed whole", () => {
  const refused = "127.0.0.1:22: login as root refused (tried keyboard-interactive): the password was not accepted";
  const vms: VmReport[] = [
    { vm: "web", error: refused, code: "ssh_auth_failed" },
    { vm: "db [prod]", error: "no VM named \"db [prod]\" on the host", code: "vm_not_found" },
    { vm: "mail", error: refused, code: "ssh_auth_failed" },
    { vm: "files", error: refused, code: "ssh_auth_failed" },
  ];
  assert.deepEqual(formatVmLines(vms), [
    `"web": FAILED: ${refused}`,
    '"db [prod]": FAILED: no VM named "db [prod]" on the host',
    '"mail": FAILED: the same as "web" above',
    '"files": FAILED: the same as "web" above',
  ]);
});
