/** Bytes allocated on a datastore: its files and their locked counterparts (capacity accounting, esxcli, vmkfstools). */
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DatastoreConfig } from "../config/simulator-config.js";
import type { FileLocks } from "./file-lock.js";
import type { SandboxPaths } from "./sandbox-paths.js";

export async function datastoreUsedBytes(paths: SandboxPaths, locks: FileLocks, ds: DatastoreConfig): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await stat(p)).blocks * 512;
    }
  };
  await walk(paths.datastoreDir(ds));
  await walk(locks.privatePath(paths.datastoreDir(ds)));
  return total;
}
