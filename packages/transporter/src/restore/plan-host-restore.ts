/**
 * What a restore of a point to an ESXi host as a new VM will create, decided before anything is written:
 * the folder `[DS] NAME/`, one thin disk per disk of the point (`NAME.vmdk`, `NAME_1.vmdk`, … as the host
 * names a VM's disks), the rewritten `.vmx`, the `.nvram` and an empty `.vmsd` (the original's snapshots
 * are not restored), and the datastore space the data needs. A host whose release cannot run the VM's
 * virtual hardware version is refused here, before anything else is asked of it (host-hardware-version.ts,
 * docs/adr/0041). `checkHostRestoreTarget` then refuses, from what the host said, a folder or VM that
 * already exists or a datastore without the space.
 *
 * Pure: a point, a name, the host's release and datastores in; a plan or a refusal out (table-tested).
 */
import type { RecoveryPoint } from "@esxbackup/domain";
import { datastoreFilePath } from "../esxi/inventory/datastore-file-path.js";
import { parseVmx } from "../esxi/parsers/parse-vmx.js";
import type { UnidentifiedEsxi } from "../esxi/probe/identify-esxi-release.js";
import type { EsxiVersionInfo } from "../esxi/probe/parse-vmware-version.js";
import { findHostDependencies, type HostDependency } from "./host-dependencies.js";
import { decideHardwareVersionFit, readVmxHardwareVersion } from "./host-hardware-version.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import { rewriteVmxForRestore } from "./rewrite-vmx-for-restore.js";

export interface HostRestoreDisk {
  /** Position in the point (`--disk N`). */
  index: number;
  /** The `.vmx` slot, lower case (`scsi0:0`). */
  slot: string;
  descriptorName: string;
  /** Absolute host paths. */
  descriptorPath: string;
  flatPath: string;
  /** The size given to `vmkfstools -c`: the point's size rounded up to whole 512-byte sectors. */
  sizeBytes: number;
  /** Bytes of non-zero chunks, the most a thin disk will take. */
  dataBytes: number;
}

export interface HostRestorePlan {
  name: string;
  datastore: string;
  /** `/vmfs/volumes/DS/NAME`. */
  folderPath: string;
  vmxPath: string;
  /** `[DS] NAME/NAME.vmx`, as getallvms lists it. */
  vmxDatastorePath: string;
  disks: HostRestoreDisk[];
  /** Small files written after the disks, `.vmx` last. */
  files: { name: string; path: string; content: Buffer }[];
  /** Disk slots of the original's `.vmx` with no data in the point, restored as not present. */
  detachedSlots: string[];
  /** Datastore space needed: the disks' non-zero data and the small files. */
  bytesNeeded: number;
  /** Why the host's release could not be checked against the VM's hardware version (it is let through), if so. */
  hardwareVersionUnchecked: string | undefined;
  /** What the `.vmx` needs of the host beyond its folder: port groups, images, host devices (docs/adr/0042). */
  hostDependencies: HostDependency[];
}

export interface HostRestoreRequest {
  point: Pick<RecoveryPoint, "pointId" | "configFiles" | "disks" | "chunkSizeBytes">;
  name: string;
  /** The datastore asked for; undefined: the host's only one. */
  datastore: string | undefined;
  /** Datastore names the host has mounted. */
  datastores: readonly string[];
  /** The host's release (`vmware -v`/`-l`): which virtual hardware versions it runs. */
  esxi: EsxiVersionInfo | UnidentifiedEsxi;
}

const SECTOR = 512;

/** Why `name` cannot name a VM folder and its files, or undefined. */
export function vmNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "is empty";
  if (name.includes("/")) return "contains '/', which a folder or file name cannot";
  if (name === "." || name === "..") return `is ${JSON.stringify(name)}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(name)) return "contains a control character (a newline, a tab, …)";
  if (Buffer.byteLength(name, "utf8") > 200) return "is longer than 200 bytes";
  return undefined;
}

export function planHostRestore(request: HostRestoreRequest): HostRestorePlan {
  const { point, name } = request;
  const problem = vmNameProblem(name);
  if (problem !== undefined) throw new HostRestoreRefusedError("--name", "bad-name", `the VM name ${JSON.stringify(name)} ${problem}`);
  const datastore = chooseDatastore(request.datastore, request.datastores);
  const vmx = point.configFiles.filter((file) => /\.vmx$/iu.test(file.name));
  if (vmx.length !== 1 || vmx[0] === undefined) {
    throw new HostRestoreRefusedError("point", "no-vmx", `point ${point.pointId} holds ${vmx.length} .vmx files; a VM is restored from exactly one`);
  }
  const vmxBytes = Buffer.from(vmx[0].content);
  const vmxSource = `the .vmx of point ${point.pointId}`;
  const fit = decideHardwareVersionFit(readVmxHardwareVersion(vmxBytes, vmxSource), request.esxi);
  if (fit.kind === "too-new") {
    const newer = fit.firstRunningIt === undefined ? "a newer ESXi release" : `${fit.firstRunningIt} or later`;
    throw new HostRestoreRefusedError(
      "--to-host",
      "hardware-version-too-new",
      `the VM of point ${point.pointId} has virtual hardware version ${fit.vmVersion} (virtualHW.version in its .vmx), and the host runs ${fit.host}, whose highest is ${fit.hostHighest}: ` +
        `it would register the VM as invalid. Restore it to a host running ${newer}; the .vmx is not downgraded for you (the VM may use devices or limits version ${fit.hostHighest} lacks)`,
    );
  }
  const folderPath = datastoreFilePath(datastore, name);
  const disks = point.disks.map((disk, i): HostRestoreDisk => {
    const base = i === 0 ? name : `${name}_${i}`;
    return {
      index: disk.index,
      slot: disk.key.toLowerCase(),
      descriptorName: `${base}.vmdk`,
      descriptorPath: `${folderPath}/${base}.vmdk`,
      flatPath: `${folderPath}/${base}-flat.vmdk`,
      sizeBytes: Math.ceil(disk.sizeBytes / SECTOR) * SECTOR,
      dataBytes: Math.min(disk.sizeBytes, (disk.chunkCount - disk.zeroChunkCount) * point.chunkSizeBytes),
    };
  });
  const parsedVmx = parseVmx(vmxBytes, vmxSource);
  const slots = new Set(parsedVmx.deviceSlots.map((device) => device.slot));
  for (const disk of disks) {
    if (!slots.has(disk.slot)) {
      throw new HostRestoreRefusedError("point", "disk-not-in-vmx", `disk ${disk.index} of point ${point.pointId} is at slot ${disk.slot}, which its .vmx has no disk at`);
    }
  }
  const rewritten = rewriteVmxForRestore(
    vmxBytes,
    { displayName: name, nvramFileName: `${name}.nvram`, diskFileNames: new Map(disks.map((disk) => [disk.slot, disk.descriptorName])) },
    vmxSource,
  );
  const nvram = point.configFiles.find((file) => /\.nvram$/iu.test(file.name));
  const files = [
    ...(nvram === undefined ? [] : [{ name: `${name}.nvram`, content: Buffer.from(nvram.content) }]),
    { name: `${name}.vmsd`, content: Buffer.alloc(0) },
    { name: `${name}.vmx`, content: Buffer.from(rewritten.text, "utf8") },
  ].map((file) => ({ ...file, path: `${folderPath}/${file.name}` }));
  const smallFiles = files.reduce((sum, file) => sum + file.content.length, 0);
  return {
    name,
    datastore,
    folderPath,
    vmxPath: `${folderPath}/${name}.vmx`,
    vmxDatastorePath: `[${datastore}] ${name}/${name}.vmx`,
    disks,
    files,
    detachedSlots: rewritten.detachedSlots,
    bytesNeeded: disks.reduce((sum, disk) => sum + disk.dataBytes, 0) + smallFiles,
    hardwareVersionUnchecked: fit.unchecked,
    hostDependencies: findHostDependencies(parsedVmx.values),
  };
}

/** What the host said about the target, read just before writing. */
export interface HostRestoreTargetFacts {
  folderExists: boolean;
  /** Display names of the registered VMs. */
  vmNames: readonly string[];
  datastoreFreeBytes: number;
}

/** Throws a HostRestoreRefusedError when the plan would collide with what exists or not fit. */
export function checkHostRestoreTarget(plan: HostRestorePlan, facts: HostRestoreTargetFacts): void {
  if (facts.vmNames.includes(plan.name)) {
    throw new HostRestoreRefusedError("--name", "vm-exists", `a VM named ${JSON.stringify(plan.name)} is already registered on the host; choose another --name`);
  }
  if (facts.folderExists) {
    throw new HostRestoreRefusedError("--name", "folder-exists", `${plan.folderPath} already exists on the host (another VM's folder, or left by an interrupted restore); choose another --name, or remove it yourself`);
  }
  if (facts.datastoreFreeBytes < plan.bytesNeeded) {
    throw new HostRestoreRefusedError("--datastore", "not-enough-space", `datastore ${JSON.stringify(plan.datastore)} has ${facts.datastoreFreeBytes} bytes free; the restore needs ${plan.bytesNeeded}`);
  }
}

function chooseDatastore(asked: string | undefined, datastores: readonly string[]): string {
  const list = datastores.map((ds) => JSON.stringify(ds)).join(", ");
  if (asked === undefined) {
    if (datastores.length === 1 && datastores[0] !== undefined) return datastores[0];
    throw new HostRestoreRefusedError("--datastore", "choose-datastore", datastores.length === 0 ? "the host has no datastore mounted" : `the host has several datastores; choose one of ${list}`);
  }
  if (!datastores.includes(asked)) throw new HostRestoreRefusedError("--datastore", "unknown-datastore", `the host has no datastore ${JSON.stringify(asked)} (it has ${list === "" ? "none" : list})`);
  return asked;
}
