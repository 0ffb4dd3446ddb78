/**
 * The readable form of a host inventory for `esxbackup inventory`: a table of VMs, then one of disks (with
 * why a backup would refuse one), the snapshots that exist, and the VMs that could not be read. Pure:
 * text in, text out. Values a user typed (names, annotations) are shown JSON-quoted when they hold
 * control characters or edge blanks, so a name cannot forge a row.
 */
import type { DatastoreFreeMinimum, HostInventory, InventoryDisk, MountedFilesystem, SnapshotTreeNode } from "@esxbackup/transporter";

/** A datastore as the inventory shows it: whether a backup would take the running VMs on it (docs/adr/0039). */
export interface InventoryDatastore extends MountedFilesystem {
  runningVmBackups: "ok" | "refused";
}

const POWER: Record<string, string> = { poweredOn: "on", poweredOff: "off", suspended: "suspended" };
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

export function renderInventoryTable(host: string, inventory: HostInventory, storage?: { datastores: readonly InventoryDatastore[]; minimum: DatastoreFreeMinimum }): string {
  const out: string[] = [];
  const unreadable = inventory.unreadableVms.length;
  out.push(`${host}: ${inventory.vms.length} VM${inventory.vms.length === 1 ? "" : "s"}${unreadable === 0 ? "" : `, ${unreadable} not readable`}`);
  out.push("");
  out.push(
    ...table(
      ["VMID", "NAME", "POWER", "GUEST OS", "HW", "DATASTORE", "DISKS", "SNAPSHOTS", "ANNOTATION"],
      inventory.vms.map((vm) => [vm.vmid, shown(vm.name), POWER[vm.powerState] ?? vm.powerState, vm.guestOs, vm.hardwareVersion, shown(vm.datastore), String(vm.disks.length), String(countSnapshots(vm.snapshots)), shown(vm.annotation.split("\n")[0] ?? "")]),
    ),
  );
  const disks = inventory.vms.flatMap((vm) => vm.disks.map((disk) => [vm.vmid, ...diskCells(disk)]));
  if (disks.length > 0) {
    out.push("", ...table(["VMID", "SLOT", "CAPACITY", "TYPE", "CBT", "MODE", "DELTAS", "DESCRIPTOR", "BACKUP"], disks));
  }
  const snapshots = inventory.vms.flatMap((vm) => flatten(vm.snapshots, 0).map(({ node, depth }) => [vm.vmid, `${"  ".repeat(depth)}${shown(node.name)}`, node.id === undefined ? "-" : String(node.id), node.createdAt.toISOString(), POWER[node.state] ?? node.state]));
  if (snapshots.length > 0) out.push("", ...table(["VMID", "SNAPSHOT", "ID", "CREATED (UTC)", "STATE"], snapshots));
  if (unreadable > 0) {
    out.push("", ...table(["VMID", "NAME", "NOT READ BECAUSE"], inventory.unreadableVms.map((u) => [u.vmid, u.name === undefined ? "-" : shown(u.name), oneLine(u.message)])));
  }
  if (storage !== undefined && storage.datastores.length > 0) {
    const kept = "bytes" in storage.minimum ? size(storage.minimum.bytes) : `${storage.minimum.percent} %`;
    out.push(
      "",
      ...table(
        ["DATASTORE", "TYPE", "SIZE", "FREE", "BACKUP OF RUNNING VMS"],
        storage.datastores.map((ds) => [
          shown(ds.volumeName === "" ? ds.uuid : ds.volumeName),
          ds.type,
          size(ds.sizeBytes),
          `${size(ds.freeBytes)}${ds.sizeBytes > 0 ? ` (${((ds.freeBytes / ds.sizeBytes) * 100).toFixed(1)} %)` : ""}`,
          ds.runningVmBackups === "ok" ? "ok" : `refused: under ${kept} free`,
        ]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

function size(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
}

function diskCells(disk: InventoryDisk): string[] {
  const capacity = size(disk.capacityBytes);
  const type = disk.rdm === undefined ? disk.provisioning : `rdm (${disk.rdm})`;
  const backup = disk.refusal === undefined ? "ok" : `refused: ${disk.refusal.reason}`;
  return [disk.slot, capacity, type, disk.cbtEnabled ? "on" : "off", disk.mode, String(disk.deltaDescriptorPaths.length), shown(disk.descriptorPath), backup];
}

function countSnapshots(nodes: readonly SnapshotTreeNode[]): number {
  return nodes.reduce((n, node) => n + 1 + countSnapshots(node.children), 0);
}

function flatten(nodes: readonly SnapshotTreeNode[], depth: number): { node: SnapshotTreeNode; depth: number }[] {
  return nodes.flatMap((node) => [{ node, depth }, ...flatten(node.children, depth + 1)]);
}

/** A value as typed, or JSON-quoted when printing it raw would break the table. */
function shown(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]|^\s|\s$/u.test(value) ? JSON.stringify(value) : value;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/gu, " ");
}

/** Left-aligned columns, two spaces apart, widths in code points; the last column is not padded. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(length(h), ...rows.map((r) => length(r[i] ?? ""))));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - length(c)))).join("  ");
  return [line(header), ...rows.map(line)];
}

function length(text: string): number {
  return Array.from(text).length;
}
