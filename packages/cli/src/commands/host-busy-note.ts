/**
 * The line logged while the host is busy with another task on a VM and a vim-cmd call waits it out
 * (host-busy-retry.ts in the transporter): the same words for a backup's snapshot and a restore's
 * registervm, unregister and power.on.
 */
import type { BusyRetriedOperation, HostBusyWait } from "@esxbackup/transporter";

const DOING: Readonly<Record<BusyRetriedOperation, string>> = {
  create: "taking the snapshot",
  remove: "removing the snapshot",
  register: "registering the VM",
  unregister: "unregistering the VM",
  "power-on": "powering the VM on",
};

/** `waiting: the host is busy with another task on this VM (REASON); taking the snapshot again in 15 s (try 2 of 4)`. */
export function hostBusyNote(wait: HostBusyWait): string {
  return `waiting: the host is busy with another task on this VM (${wait.reason}); ${DOING[wait.operation]} again in ${Math.round(wait.waitMs / 1000)} s (try ${wait.nextTry} of ${wait.tries})`;
}
