/**
 * What `repo backup-image` records about the VM besides its disk (docs/repository-format.md §7): its id,
 * BIOS uuid and host, its configuration files, and the disk's geometry and adapter type. Every value comes
 * from the command line or a local file, so each is checked here, before anything is written, and a
 * refusal names the option and the file.
 */
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { InvalidInputError, configFileNameProblem } from "@esxbackup/domain";
import type { DiskGeometry, RecoveryPointVm, VmConfigFile } from "@esxbackup/domain";

/** A .vmx is a few KiB and an .nvram a few hundred; anything this big is not a VM's configuration. */
export const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;
const MAX_LABEL_CHARS = 256;

/** `ddb.adapterType` values of a VMDK descriptor, and the extra ones `vmkfstools -a` accepts. */
export const ADAPTER_TYPES = ["ide", "buslogic", "lsilogic", "legacyESX", "lsisas", "pvscsi"] as const;

export interface MetadataOptions {
  name: string;
  vmId?: string;
  vmUuid?: string;
  host?: string;
  configFile?: string[];
  adapterType?: string;
  geometry?: string;
}

export interface BackupMetadata {
  vm: RecoveryPointVm;
  host: string;
  configFiles: VmConfigFile[];
  geometry?: DiskGeometry;
  adapterType?: string;
}

export async function readBackupMetadata(options: MetadataOptions, defaultHost: string): Promise<BackupMetadata> {
  const vm: RecoveryPointVm = { name: options.name, id: checkLabel(options.vmId ?? options.name, "--vm-id") };
  if (options.vmUuid !== undefined) vm.uuid = checkLabel(options.vmUuid, "--vm-uuid");
  const metadata: BackupMetadata = {
    vm,
    host: checkLabel(options.host ?? defaultHost, "--host"),
    configFiles: await readConfigFiles(options.configFile ?? []),
  };
  if (options.geometry !== undefined) metadata.geometry = parseGeometry(options.geometry);
  if (options.adapterType !== undefined) metadata.adapterType = parseAdapterType(options.adapterType);
  return metadata;
}

/** An identifier or host name: printable, one line, not blank. */
function checkLabel(value: string, option: string): string {
  // eslint-disable-next-line no-control-regex
  if (value.trim() === "" || value.length > MAX_LABEL_CHARS || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidInputError(option, `must be 1 to ${MAX_LABEL_CHARS} printable characters on one line (got ${JSON.stringify(value.slice(0, 80))})`);
  }
  return value;
}

/** Each file is kept under its base name, so two files of the same base name cannot both be kept. */
async function readConfigFiles(paths: readonly string[]): Promise<VmConfigFile[]> {
  const files: VmConfigFile[] = [];
  const pathByName = new Map<string, string>();
  for (const path of paths) {
    const name = basename(path);
    const problem = configFileNameProblem(name);
    if (problem !== undefined) throw new InvalidInputError("--config-file", `${path}: the file name ${problem}`);
    const earlier = pathByName.get(name);
    if (earlier !== undefined) throw new InvalidInputError("--config-file", `${earlier} and ${path} have the same name ${JSON.stringify(name)}; a point keeps configuration files by name`);
    pathByName.set(name, path);
    files.push({ name, content: await readConfigFile(path) });
  }
  return files;
}

async function readConfigFile(path: string): Promise<Buffer> {
  const tooBig = (sizeBytes: number): InvalidInputError =>
    new InvalidInputError("--config-file", `${path} is ${sizeBytes} bytes, more than the ${MAX_CONFIG_FILE_BYTES} (16 MiB) a configuration file may have`);
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new InvalidInputError("--config-file", `cannot read ${path} (${(error as { code?: string }).code ?? String(error)})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InvalidInputError("--config-file", `${path} is not a regular file`);
    if (info.size > MAX_CONFIG_FILE_BYTES) throw tooBig(info.size);
    // Read at most one byte past the limit: a file growing meanwhile is refused, never read whole.
    const buffer = Buffer.alloc(Math.min(MAX_CONFIG_FILE_BYTES + 1, info.size + 1));
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.byteLength) break;
    }
    if (filled > MAX_CONFIG_FILE_BYTES) throw tooBig(filled);
    if (filled > info.size) throw new InvalidInputError("--config-file", `${path} grew while being read`);
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError("--config-file", `cannot read ${path} (${(error as { code?: string }).code ?? String(error)})`);
  } finally {
    await handle.close();
  }
}

/** "C/H/S" as in a VMDK descriptor's ddb.geometry: heads 1–255, sectors per track 1–63. */
export function parseGeometry(text: string): DiskGeometry {
  const match = /^(\d{1,10})\/(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const [cylinders, heads, sectors] = match === null ? [0, 0, 0] : [Number(match[1]), Number(match[2]), Number(match[3])];
  if (cylinders < 1 || cylinders > 0xffffffff || heads < 1 || heads > 255 || sectors < 1 || sectors > 63) {
    throw new InvalidInputError("--geometry", `expected CYLINDERS/HEADS/SECTORS with heads 1-255 and sectors 1-63, e.g. 16383/16/63 (got ${JSON.stringify(text)})`);
  }
  return { cylinders, heads, sectors };
}

export function parseAdapterType(text: string): string {
  const found = ADAPTER_TYPES.find((type) => type.toLowerCase() === text.trim().toLowerCase());
  if (found === undefined) throw new InvalidInputError("--adapter-type", `must be one of ${ADAPTER_TYPES.join(", ")} (got ${JSON.stringify(text)})`);
  return found;
}
