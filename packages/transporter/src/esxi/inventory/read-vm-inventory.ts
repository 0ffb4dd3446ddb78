/**
 * One VM as the host holds it now, from the getallvms row that lists it: its power state
 * (`power.getstate`), its snapshots (`snapshot.get`), its `.vmx` and its disks through their descriptor
 * chains, and its `.vmsd` (read beside the first round of descriptors, so it costs no round trip of its own)
 * for the host's own word that its disks need consolidating and for the snapshot the VM runs on. Every error
 * names the VM (`VM 3 "web01"`) besides the command or file.
 */
import { posix } from "node:path";
import { decodeVmxFile } from "../parsers/decode-vmx-file.js";
import { parsePowerState } from "../parsers/parse-power-state.js";
import type { GetAllVmsRow } from "../parsers/parse-get-all-vms.js";
import { parseSnapshotTree, type SnapshotTree } from "../parsers/parse-snapshot-tree.js";
import { parseVmsd, type ParsedVmsd } from "../parsers/parse-vmsd.js";
import { parseVmx, type ParsedVmx } from "../parsers/parse-vmx.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { currentStateDepth, flattenSnapshotTree, snapshotTreeDepth } from "../snapshot/classify-snapshots.js";
import { sh } from "../ssh/shell-command.js";
import { runVimCmd } from "../vim-cmd/run-vim-cmd.js";
import { datastoreFilePath } from "./datastore-file-path.js";
import { refuseUnownedDeltas } from "./derive-vm-disks.js";
import type { InventoryVm } from "./host-inventory.js";
import { hostFilesOf, type HostFileSource } from "./read-host-text-file.js";
import { readVmDisks } from "./read-vm-disks.js";
import { snapshotFolderOf } from "./snapshot-folder.js";

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
  const [disks, vmsds] = await Promise.all([readVmDisks(session, { vmx, vmxPath, about }, { ...signal, files }), readVmsds(files, vmx, vmxPath, about, signal)]);
  const flagged = vmsds.find((v) => v.vmsd.needConsolidate);
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
    disks: refuseUnownedDeltas(disks, ownedDeltaCount(tree, vmsds), flagged === undefined ? undefined : { vmsdPath: flagged.path }),
    snapshots: tree.roots,
  };
}

/**
 * The VM's `.vmsd`, with its path. It is kept with the snapshots, in the `workingDir` when the `.vmx` sets one
 * (snapshotFolderOf); where a host keeps it then is not confirmed, so both folders are read when they differ,
 * the `workingDir`'s last. A `.vmsd` that is absent or empty (a VM never snapshotted) describes nothing; one that
 * cannot be read or understood is an error, not taken as silence.
 */
async function readVmsds(files: HostFileSource, vmx: ParsedVmx, vmxPath: string, about: string, signal: { signal?: AbortSignal }): Promise<{ path: string; vmsd: ParsedVmsd }[]> {
  const name = `${posix.basename(vmxPath, ".vmx")}.vmsd`;
  const paths = [...new Set([`${posix.dirname(vmxPath)}/${name}`, `${snapshotFolderOf(vmx, vmxPath)}${name}`])];
  const vmsdAbout = `the .vmsd of ${about}`;
  return Promise.all(
    paths.map(async (path) => {
      const source = `${path} (${vmsdAbout})`;
      return { path, vmsd: parseVmsd(decodeVmxFile(await files.bytes(path, vmsdAbout, { ...signal, absentAsEmpty: true }), source), source) };
    }),
  );
}

/**
 * How many deltas the VM's snapshots own in each chain: one per snapshot between the base and the current
 * state when the `.vmsd` that lists the snapshots says which is current (`currentStateDepth`), else one per
 * snapshot on the tree's longest branch.
 */
function ownedDeltaCount(tree: SnapshotTree, vmsds: readonly { vmsd: ParsedVmsd }[]): number {
  const treeSize = flattenSnapshotTree(tree).length;
  const listing = [...vmsds].reverse().find((v) => v.vmsd.snapshots.length > 0);
  return (listing === undefined ? undefined : currentStateDepth(listing.vmsd, treeSize)) ?? snapshotTreeDepth(tree);
}
