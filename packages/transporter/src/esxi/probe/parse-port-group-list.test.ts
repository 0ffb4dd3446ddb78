// esxcli network vswitch standard portgroup list: the sample a public Vagrant ESXi plugin's parser quotes
// (verbatim, in its comment), and layouts derived from it by esxcli's table rule (esxcli-table.ts).
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { HostOutputError } from "../parsers/host-output-error.js";
import { parsePortGroupList } from "./parse-port-group-list.js";

const VAGRANT_SAMPLE = [
  "Name                           Virtual Switch    Active Clients  VLAN ID",
  "-----------------------------  ----------------  --------------  -------",
  "Management Network             vSwitch0                       1        0",
  "Internal                       Internal                       0        0",
].join("\n");

describe("parsePortGroupList", () => {
  it("reads the plugin's sample: names with spaces, switches, clients, VLANs", () => {
    assert.deepEqual(parsePortGroupList(VAGRANT_SAMPLE), [
      { name: "Management Network", virtualSwitch: "vSwitch0", activeClients: 1, vlanId: 0 },
      { name: "Internal", virtualSwitch: "Internal", activeClients: 0, vlanId: 0 },
    ]);
  });

  it("takes CRLF, rows without trailing blanks, a trunk VLAN and a host with no port group", () => {
    const rows = `${VAGRANT_SAMPLE}\nVM Network 2                   vSwitch1                       3     4095\n`.replace(/\n/gu, "\r\n");
    assert.deepEqual(parsePortGroupList(rows).map((pg) => [pg.name, pg.vlanId]), [["Management Network", 0], ["Internal", 0], ["VM Network 2", 4095]]);
    assert.deepEqual(parsePortGroupList(VAGRANT_SAMPLE.split("\n").slice(0, 2).join("\n")), []);
  });

  it("refuses another table or a row that does not fit, quoting it", () => {
    assert.throws(() => parsePortGroupList("Name  Uplinks\n----  -------\n"), (error: unknown) => error instanceof HostOutputError && /unexpected header "Name {2}Uplinks"/u.test(error.message));
    assert.throws(() => parsePortGroupList(`${VAGRANT_SAMPLE}\nBroken                         vSwitch0                     one        0`), /Active Clients and VLAN ID are not numbers, line 5: "Broken /u);
    assert.throws(() => parsePortGroupList("esxcli: command not found\n"), HostOutputError);
  });
});
