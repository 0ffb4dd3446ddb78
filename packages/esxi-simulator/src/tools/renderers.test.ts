// Golden tests: every renderer against the verbatim samples of esxi-facts.md (copied below). Samples whose
// source trimmed trailing spaces are compared line by line with trailing spaces removed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderFilesystemList, renderPortGroupList, renderSystemVersionGet } from "./esxcli.js";
import { ESXI_RELEASES } from "./esxi-release.js";
import { renderGetAllVms } from "./getallvms.js";
import { renderSnapshotGet } from "./snapshot-tree.js";
import { renderVimFault } from "./vim-fault.js";
import { renderVimObject } from "./vim-object.js";
import { guestInfo, hostSummary } from "./vim-objects.js";
import { runVmwareVersion } from "./vmware-version.js";
import { SimulatedHostTools } from "./simulated-host-tools.js";
import type { VmRecord } from "../host/vm-record.js";
import { renderBaseDescriptor, renderDeltaDescriptor } from "../host/vmdk-descriptor.js";

const trimEnds = (s: string): string => s.split("\n").map((l) => l.trimEnd()).join("\n");

test("getallvms matches the ESXi 8 sample (trailing spaces trimmed by the source)", () => {
  const golden = "Vmid   Name          File              Guest OS       Version   Annotation\n1      x8     [pve-esx] x8/x8.vmx   centos9_64Guest   vmx-20\n";
  const out = renderGetAllVms([{ vmid: "1", name: "x8", file: "[pve-esx] x8/x8.vmx", guestOs: "centos9_64Guest", version: "vmx-20", annotation: "" }]);
  assert.equal(trimEnds(out), golden);
  assert.ok(out.split("\n")[1]?.endsWith("vmx-20" + " ".repeat(1 + 3 + 10)), "rows are padded through the last column");
});

test("getallvms matches the ESXi 6.x sample", () => {
  const golden =
    "Vmid      Name                         File                       Guest OS      Version   Annotation\n" +
    "1      ate-tester1   [datastore1] ate-tester1/ate-tester1.vmx   windows7Guest   vmx-11\n";
  const out = renderGetAllVms([{ vmid: "1", name: "ate-tester1", file: "[datastore1] ate-tester1/ate-tester1.vmx", guestOs: "windows7Guest", version: "vmx-11", annotation: "" }]);
  assert.equal(trimEnds(out), golden);
});

test("getallvms with no VMs prints only the centred header, with trailing spaces", () => {
  assert.equal(renderGetAllVms([]), "Vmid   Name   File   Guest OS   Version   Annotation\n");
});

test("getallvms sorts vmids as strings and handles awkward names and multi-line annotations", () => {
  const names = ["a b [c]", `q"uote's`, "cost $5; rm", "Ünïcødé 名前", "Test Test [Test] [Test]"];
  const rows = [6, 21, 52, 9, 10].map((id, i) => ({
    vmid: String(id),
    name: names[i] ?? "",
    file: `[datastore1 (4)] ${names[i] ?? ""}/${names[i] ?? ""}.vmx`,
    guestOs: "otherGuest64",
    version: "vmx-19",
    annotation: i === 2 ? "line one\nline two" : "",
  }));
  const out = renderGetAllVms(rows);
  const lines = out.split("\n");
  const ids = lines.slice(1).filter((l) => /^\d/u.test(l)).map((l) => l.split(" ")[0]);
  assert.deepEqual(ids, ["10", "21", "52", "6", "9"]);
  // The annotation's continuation starts at column 0 and its whole length counts toward the column width.
  assert.ok(lines.includes("line two" + " ".repeat(0)) || lines.some((l) => l.startsWith("line two")));
  const header = lines[0] ?? "";
  const widthAnn = "line one\nline two".length;
  assert.ok(header.endsWith(" ".repeat(Math.floor((widthAnn - 10) / 2)) + "Annotation" + " ".repeat(widthAnn - 10 - Math.floor((widthAnn - 10) / 2))));
  // Widths are counted in characters: the non-ASCII name pads like an ASCII one of the same length.
  const nameCol = Math.max(...names.map((n) => [...n].length));
  const uniRow = lines.find((l) => l.startsWith("9 "));
  assert.ok(uniRow?.includes("Ünïcødé 名前" + " ".repeat(nameCol - [..."Ünïcødé 名前"].length) + "   ["));
  // ghettoVCB's pipeline still splits the rows into vmid, name and file.
  for (const l of lines.filter((x) => x.includes("vmx-"))) {
    const squeezed = l.replace(/[ \t]{3,}/gu, "   ");
    const parts = squeezed.split("   ");
    assert.ok(names.includes(parts[1] ?? ""), `name survives: ${parts[1] ?? ""}`);
  }
});

test("snapshot.get matches the kuiper sample", () => {
  const golden =
    "Get Snapshot:\n|-ROOT\n--Snapshot Name        : snapshot_backup\n--Snapshot Id        : 5\n--Snapshot Desciption  : 0\n--Snapshot Created On  : 12/17/2022 15:34:49\n--Snapshot State       : powered on\n";
  const out = renderSnapshotGet([{ name: "snapshot_backup", id: 5, description: "0", createdAt: new Date("2022-12-17T15:34:49Z"), state: "powered on" }]);
  assert.equal(out, golden);
  assert.equal(renderSnapshotGet([]), "Get Snapshot:\n");
});

test("snapshot.get nests children with -- prefixes and |-CHILD", () => {
  const out = renderSnapshotGet([
    { name: "a", id: 1, description: "", createdAt: new Date("2022-01-02T03:04:05Z"), state: "powered off" },
    { name: "b", id: 2, description: "d", createdAt: new Date("2022-01-02T03:04:05Z"), state: "powered off" },
  ]);
  assert.ok(out.includes("\n--|-CHILD\n----Snapshot Name        : b\n----Snapshot Id        : 2\n"));
  assert.ok(out.includes("--Snapshot Created On  : 1/2/2022 3:4:5\n"));
});

test("Created On pads nothing but the year (esxi-facts §0 samples)", () => {
  for (const [iso, text] of [
    ["2017-11-30T00:00:04Z", "11/30/2017 0:0:4"],
    ["2026-10-04T19:00:52Z", "10/4/2026 19:0:52"],
    ["2021-05-09T23:50:00Z", "5/9/2021 23:50:0"],
  ] as const) {
    assert.ok(renderSnapshotGet([{ name: "s", id: 1, description: "", createdAt: new Date(iso), state: "powered on" }]).includes(`--Snapshot Created On  : ${text}\n`), text);
  }
});

test("7.0 and later end comma lines of vim objects and faults with a comma and a space", () => {
  const fault = renderVimFault("vim.fault.NotFound", "gone", {}, { commaSpace: true });
  assert.equal(fault, '(vim.fault.NotFound) {\n   faultCause = (vmodl.MethodFault) null, \n   faultMessage = <unset>\n   msg = "gone"\n}\n');
  const hs = renderVimObject(hostSummary(72306, 1850), { commaSpace: true }).split("\n");
  assert.ok(hs.filter((l) => l.endsWith(",")).length === 0, "no bare comma is left");
  assert.ok(hs.some((l) => l === "      numHBAs = 2"), "a last field keeps no comma");
  assert.equal(trimEnds(renderVimObject(hostSummary(72306, 1850), { commaSpace: true })).replace(/, $/gmu, ","), renderVimObject(hostSummary(72306, 1850)));
});

test("a fault with fields of its own matches an ESXi 9.0 host's InvalidPowerState (public transcript): no comma on msg nor on the field before it", () => {
  const golden =
    "(vim.fault.InvalidPowerState) {\n   faultCause = (vmodl.MethodFault) null, \n   faultMessage = <unset>, \n" +
    '   requestedState = "poweredOn", \n   existingState = "poweredOff"\n   msg = "The attempted operation cannot be performed in the current state (Powered off)."\n}\n';
  const fault = renderVimFault("vim.fault.InvalidPowerState", "The attempted operation cannot be performed in the current state (Powered off).", { requestedState: "poweredOn", existingState: "poweredOff" }, { commaSpace: true });
  assert.equal(fault, golden);
});

test("a NotFound fault matches the ESXi 6.7+/8 sample", () => {
  const golden = '(vim.fault.NotFound) {\n   faultCause = (vmodl.MethodFault) null,\n   faultMessage = <unset>\n   msg = "Unable to find a VM corresponding to "2""\n}\n';
  assert.equal(renderVimFault("vim.fault.NotFound", 'Unable to find a VM corresponding to "2"'), golden);
});

test("get.guest matches the ESXi 8 sample", () => {
  const golden = `(vim.vm.GuestInfo) {
   toolsStatus = "toolsNotInstalled",
   toolsVersionStatus = "guestToolsNotInstalled",
   toolsVersionStatus2 = "guestToolsNotInstalled",
   toolsRunningStatus = "guestToolsNotRunning",
   toolsVersion = "0",
   toolsInstallType = "guestToolsTypeUnknown",
   toolsUpdateStatus = (vim.vm.GuestInfo.ToolsUpdateStatus) null,
   guestId = <unset>,
   guestFamily = <unset>,
   guestFullName = <unset>,
   guestDetailedData = <unset>,
   hostName = <unset>,
   ipAddress = <unset>,
   net = <unset>,
   ipStack = <unset>,
   disk = <unset>,
   screen = (vim.vm.GuestInfo.ScreenInfo) {
      width = 1024,
      height = 768
   },
   guestState = "running",
   hwVersion = "vmx-20",
   customizationInfo = (vim.vm.GuestInfo.CustomizationInfo) {
      customizationStatus = "TOOLSDEPLOYPKG_IDLE",
      startTime = <unset>,
      endTime = <unset>,
      errorMsg = <unset>
   }
}
`;
  const vm = { powerState: "poweredOn", hardwareVersion: 20 } as VmRecord;
  assert.equal(renderVimObject(guestInfo(vm)), golden);
});

test("hostsummary matches the ESXi 7.0.3/8.0.1 excerpt", () => {
  const golden = `(vim.host.Summary) {
   host = 'vim.HostSystem:ha-host',
   hardware = (vim.host.Summary.HardwareSummary) {
      vendor = "QEMU",
      model = "Standard PC (Q35 + ICH9, 2009)",
      otherIdentifyingInfo = (vim.host.SystemIdentificationInfo) [
         (vim.host.SystemIdentificationInfo) {
            identifierValue = "",
            identifierType = (vim.ElementDescription) {
               label = "Asset Tag",
               key = "AssetTag"
            }
         }
      ],
      memorySize = 8589328384,
      cpuModel = "AMD Ryzen 7 5825U with Radeon Graphics         ",
      cpuMhz = 1996,
      numCpuPkgs = 1,
      numCpuCores = 8,
      numCpuThreads = 8,
      numNics = 1,
      numHBAs = 2
   },
   runtime = (vim.host.RuntimeInfo) {
      connectionState = "connected",
      powerState = "poweredOn",
      standbyMode = <unset>,
      inMaintenanceMode = false,
      inQuarantineMode = <unset>,
      cpuCapacityForVm = <unset>,
      memoryCapacityForVm = <unset>,
      hostMaxVirtualDiskCapacity = 68169720922112,
   },
   quickStats = (vim.host.Summary.QuickStats) {
      overallCpuUsage = 60,
      overallMemoryUsage = 1850,
      distributedCpuFairness = <unset>,
      uptime = 72306
   },
}
`;
  assert.equal(renderVimObject(hostSummary(72306, 1850)), golden);
});

test("esxcli system version get matches the 6.7.0 and 8.0.1 samples", () => {
  assert.equal(renderSystemVersionGet(ESXI_RELEASES["6.7"]), "   Product: VMware ESXi\n   Version: 6.7.0\n   Build: Releasebuild-14320388\n   Update: 3\n   Patch: 73\n");
  assert.equal(renderSystemVersionGet(ESXI_RELEASES["8.0"]), "   Product: VMware ESXi\n   Version: 8.0.1\n   Build: Releasebuild-21495797\n   Update: 1\n   Patch: 0\n");
});

test("esxcli storage filesystem list matches the ESXi 6.7 sample", () => {
  const golden = `Mount Point                                        Volume Name  UUID                                 Mounted  Type            Size          Free
-------------------------------------------------  -----------  -----------------------------------  -------  ------  ------------  ------------
/vmfs/volumes/611624d3-0014912e-65a2-525400f29a2a  datastore1   611624d3-0014912e-65a2-525400f29a2a     true  VMFS-6   77846282240   76336332800
/vmfs/volumes/61162d2b-5f009ee4-baf7-525400f29a2a  suse-ssd     61162d2b-5f009ee4-baf7-525400f29a2a     true  VMFS-6  127775277056  126264279040
/vmfs/volumes/59c94171-6bfc5643-4f06-be7836afec3a               59c94171-6bfc5643-4f06-be7836afec3a     true  vfat       261853184     106246144
/vmfs/volumes/611624cd-6458f9a6-e893-525400f29a2a               611624cd-6458f9a6-e893-525400f29a2a     true  vfat       299712512     117448704
/vmfs/volumes/611624d4-365d7e53-f419-525400f29a2a               611624d4-365d7e53-f419-525400f29a2a     true  vfat      4293591040    4288217088
`;
  const row = (uuid: string, name: string, type: string, size: number, free: number) => ({ mountPoint: `/vmfs/volumes/${uuid}`, volumeName: name, uuid, mounted: true, type, sizeBytes: size, freeBytes: free });
  const out = renderFilesystemList([
    row("611624d3-0014912e-65a2-525400f29a2a", "datastore1", "VMFS-6", 77846282240, 76336332800),
    row("61162d2b-5f009ee4-baf7-525400f29a2a", "suse-ssd", "VMFS-6", 127775277056, 126264279040),
    row("59c94171-6bfc5643-4f06-be7836afec3a", "", "vfat", 261853184, 106246144),
    row("611624cd-6458f9a6-e893-525400f29a2a", "", "vfat", 299712512, 117448704),
    row("611624d4-365d7e53-f419-525400f29a2a", "", "vfat", 4293591040, 4288217088),
  ]);
  assert.equal(trimEnds(out), golden);
});

test("vmware -v and -l match the samples", () => {
  assert.equal(runVmwareVersion(ESXI_RELEASES["7.0"], ["-v"]).stdout.toString(), "VMware ESXi 7.0.3 build-20328353\n");
  assert.equal(runVmwareVersion(ESXI_RELEASES["6.7"], ["-l"]).stdout.toString(), "VMware ESXi 6.7.0 Update 3\n");
  assert.equal(runVmwareVersion(ESXI_RELEASES["7.0"], ["-l"]).stdout.toString(), "VMware ESXi 7.0 Update 3\n");
});

// esxi-facts 2.3 [verbatim]: the modern thin base and its seSparse delta (no `encoding=` header line,
// `ddb.encoding` among the sorted keys), and the vmfsSparse delta of an older host.
test("disk descriptors match the base, seSparse and vmfsSparse samples byte for byte", () => {
  const base = `# Disk DescriptorFile
version=1
CID=3729b687
parentCID=ffffffff
createType="vmfs"

# Extent description
RW 41943040 VMFS "Base_R91-flat.vmdk"

# The Disk Data Base
#DDB

ddb.adapterType = "ide"
ddb.deletable = "true"
ddb.encoding = "UTF-8"
ddb.geometry.cylinders = "41610"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.longContentID = "f6371048ed90dd02a7e9ded6fffffffe"
ddb.thinProvisioned = "1"
ddb.uuid = "60 00 C2 9f 9a b0 9b 9c-13 55 b8 11 fd 2c 92 9b"
ddb.virtualHWVersion = "6"
`;
  assert.equal(
    renderBaseDescriptor({
      cid: "3729b687",
      sizeBytes: 41943040 * 512,
      flatFile: "Base_R91-flat.vmdk",
      thin: true,
      adapterType: "ide",
      uuid: "60 00 C2 9f 9a b0 9b 9c-13 55 b8 11 fd 2c 92 9b",
      longContentId: "f6371048ed90dd02a7e9ded6fffffffe",
      hardwareVersion: 6,
    }),
    base,
  );
  const seSparse = `# Disk DescriptorFile
version=1
CID=3729b687
parentCID=3729b687
createType="seSparse"
parentFileNameHint="Base_R91.vmdk"
# Extent description
RW 41943040 SESPARSE "Base_R91-000001-sesparse.vmdk"

# The Disk Data Base
#DDB

ddb.encoding = "UTF-8"
ddb.grain = "8"
ddb.longContentID = "f6371048ed90dd02a7e9ded6fffffffe"
`;
  const delta = { cid: "3729b687", parentCid: "3729b687", parentFile: "Base_R91.vmdk", sizeBytes: 41943040 * 512, extentFile: "Base_R91-000001-sesparse.vmdk", seSparse: true, longContentId: "f6371048ed90dd02a7e9ded6fffffffe" };
  assert.equal(renderDeltaDescriptor(delta), seSparse);
  const vmfsSparse = `# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=ffffffee
parentCID=fffffffe
isNativeSnapshot="no"
createType="vmfsSparse"
parentFileNameHint="sql.vmdk"
# Extent description
RW 16777216 VMFSSPARSE "sql-000001-delta.vmdk"

# The Disk Data Base
#DDB

ddb.longContentID = "7dfbf361d1fbbf2082b192cffffffffe"
`;
  assert.equal(
    renderDeltaDescriptor({ cid: "ffffffee", parentCid: "fffffffe", parentFile: "sql.vmdk", sizeBytes: 16777216 * 512, extentFile: "sql-000001-delta.vmdk", seSparse: false, longContentId: "7dfbf361d1fbbf2082b192cffffffffe" }),
    vmfsSparse,
  );
  // With CBT: version 3 and the change tracking section after the extents (2.3).
  assert.match(renderDeltaDescriptor({ ...delta, ctkFile: "Base_R91-000001-ctk.vmdk" }), /^version=3\n[^]*\n\n# Change Tracking File\nchangeTrackPath="Base_R91-000001-ctk\.vmdk"\n\n# The Disk Data Base\n/mu);
});

test("esxcli storage filesystem list on 8.0 names the system volumes as the 8.0.2 sample does", async () => {
  const rows: string[] = [];
  // Only what the esxcli path reads of a host: its release, no datastores, a clock.
  const host = {
    config: { esxiVersion: "8.0", datastores: [], name: "esx" },
    clock: { now: () => new Date(0) },
    freeBytes: () => Promise.resolve(0),
  };
  const tools = new SimulatedHostTools(host as never);
  const out = (await tools.run({ tool: "esxcli", args: ["storage", "filesystem", "list"], cwd: "/" })).stdout.toString();
  for (const line of out.split("\n").slice(2)) if (line !== "") rows.push(line.split(/ +/u).slice(0, 5).join(" "));
  assert.deepEqual(rows, [
    "/vmfs/volumes/6a91690d-eac44959-2d46-001b21e7d76e OSDATA-6a91690d-eac44959-2d46-001b21e7d76e 6a91690d-eac44959-2d46-001b21e7d76e true VMFSOS",
    "/vmfs/volumes/b67455de-254faef7-f8ae-2f039b5dad25 BOOTBANK1 b67455de-254faef7-f8ae-2f039b5dad25 true vfat",
    "/vmfs/volumes/5996ff6e-3045ec7e-7497-c870866b06ae BOOTBANK2 5996ff6e-3045ec7e-7497-c870866b06ae true vfat",
  ]);
});

test("esxcli network vswitch standard portgroup list: the layout of the sample a public Vagrant ESXi plugin quotes, widths from the values", () => {
  const rows = [
    { name: "Management Network", virtualSwitch: "vSwitch0", vlanId: 0 },
    { name: "Internal", virtualSwitch: "Internal", vlanId: 4095 },
  ];
  assert.equal(
    renderPortGroupList(rows),
    "Name                Virtual Switch  Active Clients  VLAN ID\n" +
      "------------------  --------------  --------------  -------\n" +
      "Management Network  vSwitch0                     1        0\n" +
      "Internal            Internal                     0     4095\n",
  );
});
