/**
 * The absolute host path of a file named as `[<datastore>] <path>` (getallvms, vim-cmd dumps). System VMs
 * of 8.0+ are listed with an empty datastore and an absolute path (`[] /var/run/crx/…`).
 */
export function datastoreFilePath(datastore: string, path: string): string {
  return datastore === "" ? path : `/vmfs/volumes/${datastore}/${path}`;
}
