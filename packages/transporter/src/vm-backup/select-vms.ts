/**
 * Which VMs `backup --all` backs up, from the host's listing: every VM the host lists on a datastore, each
 * name once, in the listing's order, minus the names excluded. Pure; the command prints what it says.
 *
 * - A VM whose `.vmx` is on no datastore (`[] /var/run/...`, ESXi's own system VMs) is left out: it is not
 *   the user's, and restoring it means nothing.
 * - Two VMs of one name are listed once: a backup finds a VM by its name and refuses a name that stands
 *   for two, with both vmids, which is the message the user needs.
 * - An excluded name the host does not list is reported (a misspelt exclusion would back up a VM the user
 *   meant to leave out: they must see it).
 * - VMs the host could not load (`Skipping invalid VM`) have no name to back up by: reported by vmid.
 */
import type { GetAllVmsOutput } from "../esxi/parsers/parse-get-all-vms.js";

export interface VmSelection {
  vmNames: string[];
  /** Excluded names no VM on the host has. */
  unknownExclusions: string[];
  /** Names of system VMs (no datastore) left out. */
  systemVms: string[];
  /** Vmids the host listed as invalid (it could not load them). */
  invalidVmids: string[];
}

export function selectAllVms(listing: GetAllVmsOutput, exclude: readonly string[]): VmSelection {
  const excluded = new Set(exclude);
  const listedNames = new Set(listing.vms.map((row) => row.name));
  const vmNames: string[] = [];
  const systemVms: string[] = [];
  for (const row of listing.vms) {
    if (row.datastore === "") {
      if (!systemVms.includes(row.name)) systemVms.push(row.name);
      continue;
    }
    if (excluded.has(row.name) || vmNames.includes(row.name)) continue;
    vmNames.push(row.name);
  }
  return {
    vmNames,
    unknownExclusions: exclude.filter((name, index) => !listedNames.has(name) && exclude.indexOf(name) === index),
    systemVms,
    invalidVmids: [...listing.skippedVmids],
  };
}
