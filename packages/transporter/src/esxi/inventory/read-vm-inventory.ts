/**
 * One VM as the host holds it now, from the getallvms row that lists it: its power state
 * (`power.getstate`), its snapshots (`snapshot.get`), its `.vmx` and its disks through their descriptor
 * chains. Every error names the VM (`VM 3 "web01"`) besides the command or file.
 */
import { parsePowerState } from "../parsers/parse-power-state.js";
import type { GetAllVmsRow } from "../parsers/parse-get-all-vms.js";
import { parseSnapshotTree } from "../parsers/parse-snapshot-tree.js";
import { parseVmx } from "../parsers/parse-vmx.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { snapshotTreeDepth } from "../snapshot/classify-snapshots.js";
import { sh } from "../ssh/shell-command.js";
import { runVimCmd } from "../vim-cmd/run-vim-cmd.js";
import { datastoreFilePath } from "./datastore-file-path.js";
import { refuseUnownedDeltas } from "./derive-vm-disks.js";
import type { InventoryVm } from "./host-inventory.js";
import { hostFilesOf, type HostFileSource } from "./read-host-text-file.js";
import { readVmDisks } from "./read-vm-disks.js";

/** How a VM is named in messages: its vmid and its name as JSON (names may hold quotes and newlines). */
export function vmLabel(row: Pick<GetAllVmsRow, "vmid" | "name">): string {
  return `VM ${row.vmid} ${JSON.stringify(row.name)}`;
}

/** `files`: where the `.vmx` and descriptors are read from (default: the host, each time). */
export async function readVmInventory(session: Pick<EsxiSshSession, "exec" | "execStream" | "label">, row: GetAllVmsRow, options: { signal?: AbortSignal; files?: HostFileSource } = {}): Promise<InventoryVm> {
  const about = vmLabel(row);
  const vmxPath = datastoreFilePath(row.datastore, row.vmxPath);
  const powerSource = `vim-cmd vmsvc/power.getstate ${row.vmid} (${about})`;
  const snapshotSource = `vim-cmd vmsvc/snapshot.get ${row.vmid} (${about})`;
  const vmxAbout = `the .vmx of ${about}`;
  const files = options.files ?? hostFilesOf(session);
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const [power, snapshots, vmxBytes] = await Promise.all([
    runVimCmd(session, sh`vim-cmd vmsvc/power.getstate ${row.vmid}`, powerSource, signal),
    runVimCmd(session, sh`vim-cmd vmsvc/snapshot.get ${row.vmid}`, snapshotSource, signal),
    files.bytes(vmxPath, vmxAbout, signal),
  ]);
  const vmx = parseVmx(vmxBytes, `${vmxPath} (${vmxAbout})`);
  const disks = await readVmDisks(session, { vmx, vmxPath, about }, { ...signal, files });
  const tree = parseSnapshotTree(snapshots.stdout, snapshotSource);
  return {
    vmid: row.vmid,
    name: row.name,
    powerState: parsePowerState(power.stdout, powerSource),
    guestOs: row.guestOs,
    hardwareVersion: row.version,
    annotation: row.annotation,
    vmxPath,
    datastore: row.datastore,
    disks: refuseUnownedDeltas(disks, snapshotTreeDepth(tree)),
    snapshots: tree.roots,
  };
}
