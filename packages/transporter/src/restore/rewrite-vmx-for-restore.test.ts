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

  it("adds displayName, nvram and the UTF-8 declaration (first, as ESXi writes it) when the original had none", () => {
    const { text } = rewriteVmxForRestore('scsi0:0.fileName = "a.vmdk"\n', { displayName: "né", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"]]) });
    const result = parseVmx(text);
    assert.equal(result.displayName, "né");
    assert.equal(result.values.get("nvram"), "n.nvram");
    assert.equal(text.split("\n")[0], '.encoding = "UTF-8"');
  });

  it("drops what names the original's folders or identity beyond the uuids: working dir, swap dir, suspend dir, generation id, a stored answer", () => {
    const extra = [
      'workingDir = "/vmfs/volumes/fast-ssd/test flo/"',
      'sched.swap.dir = "/vmfs/volumes/swap-ds/"',
      'suspend.directory = "/vmfs/volumes/ds2/suspend/"',
      'vm.genid = "7113999362931944212"',
      'vm.genidX = "-4456333245678140601"',
      'answer.msg.uuid.altered = "I moved it"',
      'sched.swap.vmxSwapDir = "/vmfs/volumes/swap-ds/"',
      'viv.moid = "52300e6b-6a64-4109-b144-f3efe9426650:vm-545:2azK3dLANCIEKysfZbstuwb/2iSvArcsaQpXPpR56RY="',
    ];
    const result = parseVmx(rewriteVmxForRestore(`${ORIGINAL}${extra.join("\n")}\n`, { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"]]) }).text);
    for (const key of ["workingdir", "sched.swap.dir", "suspend.directory", "vm.genid", "vm.genidx", "answer.msg.uuid.altered", "sched.swap.vmxswapdir", "viv.moid"]) assert.equal(result.values.get(key), undefined, key);
    assert.equal(result.values.get("uuid.action"), "create");
  });

  it("turns a MAC vCenter assigned into a generated one and keeps a static MAC", () => {
    const nics = [
      'ethernet1.present = "TRUE"',
      'ethernet1.addressType = "vpx"',
      'ethernet1.generatedAddress = "00:50:56:98:1e:83"',
      'ethernet2.present = "TRUE"',
      'ethernet2.addressType = "static"',
      'ethernet2.address = "00:50:56:3f:00:01"',
    ];
    const result = parseVmx(rewriteVmxForRestore(`${ORIGINAL}${nics.join("\n")}\n`, { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"]]) }).text);
    assert.equal(result.values.get("ethernet1.addresstype"), "generated");
    assert.equal(result.values.get("ethernet1.generatedaddress"), undefined);
    assert.equal(result.values.get("ethernet0.addresstype"), "generated");
    assert.equal(result.values.get("ethernet2.addresstype"), "static");
    assert.equal(result.values.get("ethernet2.address"), "00:50:56:3f:00:01");
  });

  it("reads a .vmx in another character set from its bytes and writes UTF-8 that says so", () => {
    // A Workstation-made VM: windows-1252 bytes (é is 0xE9) in the annotation and the CD-ROM's ISO path.
    const original = Buffer.concat([
      Buffer.from('.encoding = "windows-1252"\ndisplayName = "old"\nannotation = "r', "latin1"),
      Buffer.from([0xe9]),
      Buffer.from('sum|0A"\nscsi0:0.fileName = "old.vmdk"\nscsi0:0.present = "TRUE"\nsata0:0.deviceType = "cdrom-image"\nsata0:0.fileName = "/vmfs/volumes/iso/caf', "latin1"),
      Buffer.from([0xe9]),
      Buffer.from('.iso"\nsata0:0.present = "TRUE"\n', "latin1"),
    ]);
    const result = rewriteVmxForRestore(original, { displayName: "café 名", nvramFileName: "café 名.nvram", diskFileNames: new Map([["scsi0:0", "café 名.vmdk"]]) }, "the .vmx of point p1");
    const written = Buffer.from(result.text, "utf8");
    const reread = parseVmx(written);
    assert.equal(reread.values.get(".encoding"), "UTF-8");
    assert.equal(reread.annotation, "résum\n");
    assert.equal(reread.displayName, "café 名");
    assert.deepEqual(reread.deviceSlots.map((slot) => slot.fileName), ["café 名.vmdk", "/vmfs/volumes/iso/café.iso"]);
    // A byte of the original's set written escaped (|E9) is its character in UTF-8, not a byte UTF-8 misreads.
    const escaped = Buffer.from('.encoding = "windows-1252"\ndisplayName = "old"\nguestinfo.owner = "Ren|E9e |22R|22"\nnvram = "old.nvram"\n', "latin1");
    const rewritten = rewriteVmxForRestore(escaped, { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map() }).text;
    assert.equal(parseVmx(Buffer.from(rewritten, "utf8")).values.get("guestinfo.owner"), 'Renée "R"');
    assert.match(rewritten, /^guestinfo\.owner = "Renée \|22R\|22"$/mu);
    // A UTF-8 original keeps its .encoding line as written.
    assert.match(rewriteVmxForRestore(Buffer.from(ORIGINAL, "utf8"), { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map() }).text, /^\.encoding = "UTF-8"$/mu);
  });

  it("over ESXi's own files (libvirt esx-in-the-wild-17 and -14): a fresh identity, the vCenter MAC generated, the static one kept, the rest as written", () => {
    const esx80 = fixtureText("vmx-8.0-verbatim.txt");
    const copy = rewriteVmxForRestore(esx80, { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"], ["scsi0:1", "n_1.vmdk"]]) });
    const parsed80 = parseVmx(copy.text);
    for (const key of ["uuid.bios", "uuid.location", "vc.uuid", "vmci0.id", "ethernet0.generatedaddress", "vm.genid", "vm.genidx", "migrate.hostlog", "sched.swap.derivedname", "viv.moid"]) assert.equal(parsed80.values.get(key), undefined, key);
    assert.equal(parsed80.values.get("ethernet0.addresstype"), "generated");
    assert.deepEqual(parsed80.deviceSlots.map((slot) => [slot.slot, slot.fileName, slot.present]), [
      ["sata0:0", "/vmfs/volumes/f84f070c-0d65498d/win-iso/windows_11_x64_official_dvd.iso", true],
      ["scsi0:0", "n.vmdk", true],
      ["scsi0:1", "n_1.vmdk", true],
    ]);
    assert.deepEqual(copy.detachedSlots, []);
    const changed = /^(displayName|nvram|scsi0:[01]\.fileName|uuid\.(bios|location)|vc\.uuid|vmci0\.id|ethernet0\.(generatedAddress|addressType)|vm\.genidX?|sched\.swap\.derivedName|migrate\.hostLog|viv\.moid) /u;
    const lines = new Set(copy.text.split("\n"));
    for (const line of esx80.split("\n")) if (line !== "" && !changed.test(line)) assert.ok(lines.has(line), `kept: ${line}`);

    const esx70 = parseVmx(rewriteVmxForRestore(fixtureText("vmx-7.0-static-mac-verbatim.txt"), { displayName: "n", nvramFileName: "n.nvram", diskFileNames: new Map([["scsi0:0", "n.vmdk"]]) }).text);
    assert.equal(esx70.values.get("ethernet0.addresstype"), "static");
    assert.equal(esx70.values.get("ethernet0.address"), "00:00:00:00:00:00");
    assert.equal(esx70.deviceSlots.find((slot) => slot.slot === "scsi0:1")?.present, false);
  });
});
