/**
 * `esxcli network vswitch standard portgroup list`: the host's standard port groups, the networks a VM's
 * adapter names in `ethernetN.networkName`. esxcli's table (esxcli-table.ts); a name may contain spaces
 * (`Management Network`, `VM Network`). Layout from a sample a public Vagrant ESXi plugin parses:
 *
 *     Name                           Virtual Switch    Active Clients  VLAN ID
 *     -----------------------------  ----------------  --------------  -------
 *     Management Network             vSwitch0                       1        0
 *
 * Distributed port groups are not listed: a host gets those from the vCenter that manages it.
 */
import { unexpectedLine } from "../parsers/output-lines.js";
import { readEsxcliTable } from "./esxcli-table.js";

export interface StandardPortGroup {
  name: string;
  virtualSwitch: string;
  activeClients: number;
  vlanId: number;
}

const SOURCE = "esxcli network vswitch standard portgroup list output";
const HEADERS = ["Name", "Virtual Switch", "Active Clients", "VLAN ID"];

export function parsePortGroupList(output: string): StandardPortGroup[] {
  return readEsxcliTable(output, SOURCE, HEADERS).map(({ cells, line }) => {
    const [name, virtualSwitch, activeClients, vlanId] = cells as [string, string, string, string];
    if (name === "" || virtualSwitch === "") throw unexpectedLine(SOURCE, "a port group without its name or switch", line);
    // VLAN 4095 is "all VLANs" (a trunk to the guest): still a number.
    if (!/^\d+$/u.test(activeClients) || !/^\d+$/u.test(vlanId)) throw unexpectedLine(SOURCE, "Active Clients and VLAN ID are not numbers", line);
    return { name, virtualSwitch, activeClients: Number(activeClients), vlanId: Number(vlanId) };
  });
}
