import assert from "node:assert/strict";
import { test } from "node:test";
import type { GetAllVmsOutput, GetAllVmsRow } from "../esxi/parsers/parse-get-all-vms.js";
import { selectAllVms } from "./select-vms.js";

const row = (vmid: string, name: string, datastore = "datastore1"): GetAllVmsRow => ({
  vmid,
  name,
  file: datastore === "" ? `[] /var/run/${name}.vmx` : `[${datastore}] ${name}/${name}.vmx`,
  datastore,
  vmxPath: datastore === "" ? `/var/run/${name}.vmx` : `${name}/${name}.vmx`,
  guestOs: "otherGuest",
  version: "vmx-14",
  annotation: "",
});
const listing = (vms: GetAllVmsRow[], skippedVmids: string[] = []): GetAllVmsOutput => ({ vms, skippedVmids });

const cases: { name: string; listing: GetAllVmsOutput; exclude: string[]; expected: ReturnType<typeof selectAllVms> }[] = [
  { name: "every VM, in the listing's order", listing: listing([row("10", "web"), row("2", "db"), row("3", "mail")]), exclude: [], expected: { vmNames: ["web", "db", "mail"], unknownExclusions: [], systemVms: [], invalidVmids: [] } },
  { name: "no VM on the host", listing: listing([]), exclude: [], expected: { vmNames: [], unknownExclusions: [], systemVms: [], invalidVmids: [] } },
  { name: "excluded names left out", listing: listing([row("1", "web"), row("2", "db"), row("3", "mail")]), exclude: ["db", "mail"], expected: { vmNames: ["web"], unknownExclusions: [], systemVms: [], invalidVmids: [] } },
  { name: "every VM excluded", listing: listing([row("1", "web")]), exclude: ["web"], expected: { vmNames: [], unknownExclusions: [], systemVms: [], invalidVmids: [] } },
  { name: "an exclusion no VM has is reported once, the others still apply", listing: listing([row("1", "web"), row("2", "db")]), exclude: ["dB", "db", "dB"], expected: { vmNames: ["web"], unknownExclusions: ["dB"], systemVms: [], invalidVmids: [] } },
  { name: "a name held by two VMs is listed once (the backup refuses it with both vmids)", listing: listing([row("1", "web"), row("2", "web"), row("3", "db")]), exclude: [], expected: { vmNames: ["web", "db"], unknownExclusions: [], systemVms: [], invalidVmids: [] } },
  { name: "system VMs on no datastore left out and named", listing: listing([row("1", "web"), row("2", "vCLS-1", "")]), exclude: [], expected: { vmNames: ["web"], unknownExclusions: [], systemVms: ["vCLS-1"], invalidVmids: [] } },
  { name: "excluding a system VM by name is no unknown exclusion", listing: listing([row("2", "vCLS-1", "")]), exclude: ["vCLS-1"], expected: { vmNames: [], unknownExclusions: [], systemVms: ["vCLS-1"], invalidVmids: [] } },
  { name: "VMs the host could not load reported by vmid", listing: listing([row("1", "web")], ["7", "9"]), exclude: [], expected: { vmNames: ["web"], unknownExclusions: [], systemVms: [], invalidVmids: ["7", "9"] } },
  { name: "names with spaces, quotes and newlines kept as they are", listing: listing([row("1", 'a "b"\nc'), row("2", " x ")]), exclude: [" x"], expected: { vmNames: ['a "b"\nc', " x "], unknownExclusions: [" x"], systemVms: [], invalidVmids: [] } },
];

for (const c of cases) {
  test(`selectAllVms: ${c.name}`, () => {
    assert.deepEqual(selectAllVms(c.listing, c.exclude), c.expected);
  });
}
