// The .vmx of a VM restored beside its original, from esxi-facts 2.2's real 6.7+/7 .vmx (the parsers'
// golden file): new name, nvram and disk, every identity and original-folder key gone, the rest as written,
// and what the project's own .vmx parser reads back.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { fixtureText } from "../esxi/parsers/fixture-text.js";
import { parseVmx } from "../esxi/parsers/parse-vmx.js";
import { rewriteVmxForRestore } from "./rewrite-vmx-for-restore.js";

const ORIGINAL = fixtureText("vmx-7.0-abridged.txt");
const NAME = `new "vm" | #1 $(x)`;

describe("rewriteVmxForRestore", () => {
  const { text, detachedSlots } = rewriteVmxForRestore(ORIGINAL, { displayName: NAME, nvramFileName: `${NAME}.nvram`, diskFileNames: new Map([["scsi0:0", `${NAME}.vmdk`]]) });
  const parsed = parseVmx(text);

  it("names the VM, its nvram and its disk anew, read back unescaped by the parser", () => {
    assert.equal(parsed.displayName, NAME);
    assert.equal(parsed.values.get("nvram"), `${NAME}.nvram`);
    assert.equal(parsed.deviceSlots.find((slot) => slot.slot === "scsi0:0")?.fileName, `${NAME}.vmdk`);
    assert.match(text, /^displayName = "new \|22vm\|22 \|7C \|231 \$\(x\)"$/mu);
  });

  it("drops the identity and whatever names the original's folder, and asks the host for a new identity", () => {
    for (const key of ["uuid.bios", "uuid.location", "vc.uuid", "vmci0.id", "ethernet0.generatedaddress", "ethernet0.generatedaddressoffset", "sched.swap.derivedname", "migrate.hostlog", "extendedconfigfile"]) {
      assert.equal(parsed.values.get(key), undefined, key);
    }
    assert.equal(parsed.values.get("uuid.action"), "create");
  });

  it("keeps every other line as written, the CD-ROM's ISO path included", () => {
    const kept = ORIGINAL.split("\n").filter((line) => !/^(displayName|nvram|scsi0:0\.fileName|uuid\.|vc\.uuid|vmci0\.id|ethernet0\.generatedAddress|sched\.swap|migrate\.hostlog|extendedConfigFile)/iu.test(line) && line !== "");
    const lines = new Set(text.split("\n"));
    for (const line of kept) assert.ok(lines.has(line), `kept: ${line}`);
    assert.equal(parsed.deviceSlots.find((slot) => slot.slot === "sata0:0")?.fileName, "/vmfs/volumes/636a25ed-0b37afee-60ef-3cfdfe75e770/ISO/ubuntu-22.04.1-live-server-amd64.iso");
    assert.deepEqual(detachedSlots, []);
  });

  it("marks a disk slot the point has no data for as not present, and reports it", () => {
    const twoDisks = `${ORIGINAL}scsi0:1.fileName = "data.vmdk"\nscsi0:1.present = "TRUE"\n`;
    const result = rewriteVmxForRestore(twoDisks, { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"]]) });
    assert.deepEqual(result.detachedSlots, ["scsi0:1"]);
    assert.equal(parseVmx(result.text).deviceSlots.find((slot) => slot.slot === "scsi0:1")?.present, false);
  });

  it("adds displayName and nvram when the original had none", () => {
    const result = parseVmx(rewriteVmxForRestore('scsi0:0.fileName = "a.vmdk"\n', { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"]]) }).text);
    assert.equal(result.displayName, "n");
    assert.equal(result.values.get("nvram"), "n.nvram");
  });
});
