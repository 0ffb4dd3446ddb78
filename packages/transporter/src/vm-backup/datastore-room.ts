/**
 * Whether a running VM's datastores have room for its run snapshot to grow (docs/adr/0039). While the
 * snapshot is open every block the guest writes goes to a delta file beside the disk; a datastore that fills
 * up meanwhile stops every VM on it that needs to write, not only the one backed up. So a backup of a powered-on
 * VM is refused, before its snapshot is taken, when a datastore holding its `.vmx` or one of its disks has less
 * free than the minimum. A VM that is off or suspended writes nothing: its snapshot stays a few small files,
 * and it is never refused for space (it is the one backup a nearly full datastore can still take safely).
 * Pure: the caller reads the host's volumes (`esxcli storage filesystem list`).
 */
import type { VmPowerState } from "../esxi/parsers/parse-power-state.js";
import type { MountedFilesystem } from "../esxi/probe/parse-filesystem-list.js";

/** The least free space kept on a datastore: a share of its size, or bytes. `{ bytes: 0 }` checks nothing. */
export type DatastoreFreeMinimum = { percent: number } | { bytes: number };

/**
 * 5 % of the datastore: 50 GB on a 1 TB one, several hours of a busy guest writing steadily, while refusing
 * only datastores already close to full. `--min-datastore-free` sets another share or a size.
 */
export const DEFAULT_DATASTORE_FREE_MINIMUM: DatastoreFreeMinimum = { percent: 5 };

/**
 * What is kept free while the snapshot is open: half the minimum asked at the start. A backup that starts
 * just above the minimum is not stopped by the first writes of its guest, and one whose datastore keeps
 * filling is stopped, its snapshot removed, with half the margin still free for the other VMs there.
 */
export function minimumDuringRun(minimum: DatastoreFreeMinimum): DatastoreFreeMinimum {
  return "bytes" in minimum ? { bytes: Math.floor(minimum.bytes / 2) } : { percent: minimum.percent / 2 };
}

export interface DatastoreShortfall {
  /** The volume's name (its UUID when unnamed). */
  datastore: string;
  freeBytes: number;
  sizeBytes: number;
  /** The free space the minimum asks for on this volume. */
  minimumBytes: number;
}

export interface DatastoreRoomInput {
  powerState: VmPowerState;
  /** Host paths of the VM's `.vmx` and of its disks' extents (`/vmfs/volumes/<name or uuid>/…`). */
  paths: readonly string[];
  filesystems: readonly MountedFilesystem[];
  minimum: DatastoreFreeMinimum;
}

/** Whether a VM's datastores are judged at all: only a running VM's, and not when the minimum is `{ bytes: 0 }`. */
export function checksDatastoreRoom(powerState: VmPowerState, minimum: DatastoreFreeMinimum): boolean {
  return powerState === "poweredOn" && !("bytes" in minimum && minimum.bytes === 0);
}

/**
 * The datastores of the VM with less free space than the minimum, each once, in the order of `paths`. A path
 * on no listed volume is not judged here (reading it fails on its own, with its path).
 */
export function datastoreShortfalls(input: DatastoreRoomInput): DatastoreShortfall[] {
  if (!checksDatastoreRoom(input.powerState, input.minimum)) return [];
  const seen = new Set<string>();
  const shortfalls: DatastoreShortfall[] = [];
  for (const path of input.paths) {
    const volume = volumeOf(path, input.filesystems);
    if (volume === undefined || seen.has(volume.uuid)) continue;
    seen.add(volume.uuid);
    const shortfall = datastoreShortfall(volume, input.minimum);
    if (shortfall !== undefined) shortfalls.push(shortfall);
  }
  return shortfalls;
}

/** How one datastore falls short of the minimum, or undefined when it has enough free. */
export function datastoreShortfall(volume: MountedFilesystem, minimum: DatastoreFreeMinimum): DatastoreShortfall | undefined {
  const minimumBytes = minimumBytesOf(minimum, volume.sizeBytes);
  if (volume.freeBytes >= minimumBytes) return undefined;
  return { datastore: volume.volumeName === "" ? volume.uuid : volume.volumeName, freeBytes: volume.freeBytes, sizeBytes: volume.sizeBytes, minimumBytes };
}

function minimumBytesOf(minimum: DatastoreFreeMinimum, sizeBytes: number): number {
  return "bytes" in minimum ? minimum.bytes : Math.ceil((sizeBytes * minimum.percent) / 100);
}

/** `/vmfs/volumes/<x>/…` is on the volume named x, or whose UUID is x (the name is a symlink to the UUID). */
function volumeOf(path: string, filesystems: readonly MountedFilesystem[]): MountedFilesystem | undefined {
  const match = /^\/vmfs\/volumes\/([^/]+)\//u.exec(path);
  if (match === null) return undefined;
  const name = match[1] as string;
  return filesystems.find((fs) => fs.volumeName === name) ?? filesystems.find((fs) => fs.uuid === name || fs.mountPoint === `/vmfs/volumes/${name}`);
}

/** `datastore "ds1" has 2.1 GiB free of 100.0 GiB (2.1 %); 5 % is kept free (--min-datastore-free)`, one per shortfall. */
export function describeShortfall(shortfall: DatastoreShortfall, minimum: DatastoreFreeMinimum, when = "for the snapshot's growth"): string {
  const kept = "bytes" in minimum ? gib(minimum.bytes) : `${minimum.percent} %`;
  const share = shortfall.sizeBytes > 0 ? ` (${((shortfall.freeBytes / shortfall.sizeBytes) * 100).toFixed(1)} %)` : "";
  return `datastore ${JSON.stringify(shortfall.datastore)} has ${gib(shortfall.freeBytes)} free of ${gib(shortfall.sizeBytes)}${share}, under the ${kept} kept free ${when}`;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
