/**
 * The folder where the host writes a VM's snapshot files (`.vmsd`, `.vmsn`): the one its `.vmx` names as
 * `workingDir`, else the folder of the `.vmx` itself. Deltas differ: by default "the first and all delta
 * disks are stored with the base .vmdk file" (vSphere 6.5/6.7 documentation, "Snapshot Files"; a 6.x
 * host's `.vmsd` shows a second disk's delta on that disk's datastore), and with `workingDir` set "the
 * delta disks are always created in the workingDir" (KB 420124). So callers that care where deltas grow
 * (the datastore room check) look at each disk's extent too. An empty `workingDir` (older hosts write
 * `workingDir = ""`) is the default; a relative one is read from the `.vmx`'s folder. The folder is
 * returned with a trailing `/`.
 */
import { posix } from "node:path";
import type { ParsedVmx } from "../parsers/parse-vmx.js";

export function snapshotFolderOf(vmx: Pick<ParsedVmx, "values">, vmxPath: string): string {
  const vmxFolder = posix.dirname(vmxPath);
  const workingDir = vmx.values.get("workingdir")?.trim() ?? "";
  const folder = workingDir === "" ? vmxFolder : posix.resolve(vmxFolder, workingDir);
  return folder.endsWith("/") ? folder : `${folder}/`;
}
