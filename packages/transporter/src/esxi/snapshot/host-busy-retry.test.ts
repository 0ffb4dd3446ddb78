import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { VimFault } from "../parsers/parse-fault.js";
import { decideHostBusyRetry, type BusyRetriedOperation } from "./host-busy-retry.js";

function fault(type: string): VimFault {
  return { type, name: type.slice(type.lastIndexOf(".") + 1), message: "…", fields: {} };
}

test("which refusals of a busy-retried vim-cmd call are waited out, after how long", () => {
  const busy = fault("vim.fault.TaskInProgress");
  const cases: { name: string; operation: BusyRetriedOperation; fault: VimFault | undefined; failedTries: number; expected: ReturnType<typeof decideHostBusyRetry> }[] = [
    { name: "create, first refusal: 15 s", operation: "create", fault: busy, failedTries: 1, expected: { retry: true, waitMs: 15_000, tries: 4 } },
    { name: "create, third refusal: 45 s, the last wait", operation: "create", fault: busy, failedTries: 3, expected: { retry: true, waitMs: 45_000, tries: 4 } },
    { name: "create, fourth refusal: given up", operation: "create", fault: busy, failedTries: 4, expected: { retry: false } },
    { name: "remove, first refusal: 15 s", operation: "remove", fault: busy, failedTries: 1, expected: { retry: true, waitMs: 15_000, tries: 7 } },
    { name: "remove, sixth refusal: 2 minutes, the last wait", operation: "remove", fault: busy, failedTries: 6, expected: { retry: true, waitMs: 120_000, tries: 7 } },
    { name: "remove, seventh refusal: given up", operation: "remove", fault: busy, failedTries: 7, expected: { retry: false } },
    { name: "register (a restore's registervm), first refusal: 15 s", operation: "register", fault: busy, failedTries: 1, expected: { retry: true, waitMs: 15_000, tries: 5 } },
    { name: "register, fourth refusal: 1 minute, the last wait", operation: "register", fault: busy, failedTries: 4, expected: { retry: true, waitMs: 60_000, tries: 5 } },
    { name: "register, fifth refusal: given up", operation: "register", fault: busy, failedTries: 5, expected: { retry: false } },
    { name: "unregister (a restore's undo), sixth refusal: 2 minutes, the last wait", operation: "unregister", fault: busy, failedTries: 6, expected: { retry: true, waitMs: 120_000, tries: 7 } },
    { name: "unregister, seventh refusal: given up", operation: "unregister", fault: busy, failedTries: 7, expected: { retry: false } },
    { name: "power-on, third refusal: 45 s, the last wait", operation: "power-on", fault: busy, failedTries: 3, expected: { retry: true, waitMs: 45_000, tries: 4 } },
    { name: "power-on, fourth refusal: given up", operation: "power-on", fault: busy, failedTries: 4, expected: { retry: false } },
    { name: "AlreadyExists from registervm is about the request: not waited out", operation: "register", fault: fault("vim.fault.AlreadyExists"), failedTries: 1, expected: { retry: false } },
    { name: "InvalidPowerState from power.on is about the VM's state: not waited out", operation: "power-on", fault: fault("vim.fault.InvalidPowerState"), failedTries: 1, expected: { retry: false } },
    { name: "a fault about the request is not waited out", operation: "create", fault: fault("vim.fault.ToolsUnavailable"), failedTries: 1, expected: { retry: false } },
    { name: "InvalidState: not known to pass, not waited out", operation: "remove", fault: fault("vim.fault.InvalidState"), failedTries: 1, expected: { retry: false } },
    { name: "a failure without a fault is not waited out", operation: "remove", fault: undefined, failedTries: 1, expected: { retry: false } },
    { name: "the short name decides, not the namespace", operation: "create", fault: fault("vmodl.fault.TaskInProgress"), failedTries: 2, expected: { retry: true, waitMs: 30_000, tries: 4 } },
  ];
  for (const c of cases) assert.deepEqual(decideHostBusyRetry(c.operation, c.fault, c.failedTries), c.expected, c.name);
});

test("what must not be left behind (our snapshot, the VM a failed restore registered) waits longest; a restore's registervm longer than a create", () => {
  const total = (operation: BusyRetriedOperation): number => {
    let sum = 0;
    for (let tries = 1; ; tries++) {
      const d = decideHostBusyRetry(operation, fault("vim.fault.TaskInProgress"), tries);
      if (!d.retry) return sum;
      sum += d.waitMs;
    }
  };
  assert.equal(total("create"), 90_000);
  assert.equal(total("remove"), 405_000);
  assert.equal(total("unregister"), 405_000);
  assert.equal(total("register"), 165_000);
  assert.equal(total("power-on"), 90_000);
});
