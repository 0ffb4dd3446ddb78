/**
 * Where the host writes a VM's snapshot files, every disk's delta among them: the folder its `.vmx` names
 * as `workingDir`, else the folder of the `.vmx` itself, whichever datastores the disks are on. "The delta
 * disks for all virtual disks are by default stored in the same location" as the VM (Broadcom KB 304387);
 * with `workingDir` set "the delta disks are always created in the workingDir" (KB 420124). An empty
 * `workingDir` (older hosts write `workingDir = ""`) is the default; a relative one is read from the `.vmx`'s
 * folder. The folder is returned with a trailing `/`.
 */
import { posix } from "node:path";
import type { ParsedVmx } from "../parsers/parse-vmx.js";

export function snapshotFolderOf(vmx: Pick<ParsedVmx, "values">, vmxPath: string): string {
  const vmxFolder = posix.dirname(vmxPath);
  const workingDir = vmx.values.get("workingdir")?.trim() ?? "";
  const folder = workingDir === "" ? vmxFolder : posix.resolve(vmxFolder, workingDir);
  return folder.endsWith("/") ? folder : `${folder}/`;
}
