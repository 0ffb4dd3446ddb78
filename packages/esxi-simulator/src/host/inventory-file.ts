/**
 * The host's inventory on disk: `<rootDir>/etc/vmware/hostd/esxsim-inventory.json` (vmids, power states,
 * disk chains, snapshots). Written whole after every change, atomically (temporary file, then rename), so a
 * restart finds either the old or the new inventory, never half of one.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { VmRecord } from "./vm-record.js";

export interface PersistedInventory {
  format: 1;
  nextVmid: number;
  vms: VmRecord[];
}

export class InventoryFile {
  readonly path: string;

  constructor(rootDir: string) {
    this.path = join(rootDir, "etc", "vmware", "hostd", "esxsim-inventory.json");
  }

  /** The saved inventory, or null on first use (or when the file cannot be read). */
  async load(): Promise<PersistedInventory | null> {
    try {
      return JSON.parse(await readFile(this.path, "utf8")) as PersistedInventory;
    } catch {
      return null;
    }
  }

  async save(nextVmid: number, vms: VmRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const data: PersistedInventory = { format: 1, nextVmid, vms };
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(data, null, 2));
    await rename(tmp, this.path);
  }
}
