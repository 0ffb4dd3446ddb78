// Golden tests of get.summary, device.getdevices and hostsvc/datastore/listsummary against the verbatim
// excerpts of esxi-facts 1.4, 1.5 and 1.8 (copied below), under the 6.5+ rule: no `dynamicType` lines.
// Where the excerpt elides fields (`...`) or only a 4.x sample exists, the check is that every field the
// sample shows appears, in the sample's order, with the sample's type annotation.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DatastoreConfig } from "../config/simulator-config.js";
import type { VmRecord } from "../host/vm-record.js";
import { renderVimObject } from "./vim-object.js";
import { datastoreSummaries, vimDateTime, virtualDisks, virtualHardware, vmSummary } from "./vim-objects.js";

/** VCL VIM_SSH.pm ll.616–700 (ESX 4.x get.summary), leading `#` removed. */
const GET_SUMMARY_4X = `Listsummary:
(vim.vm.Summary) {
  dynamicType = <unset>,
  vm = 'vim.VirtualMachine:496',
  runtime = (vim.vm.RuntimeInfo) {
     dynamicType = <unset>,
     host = 'vim.HostSystem:ha-host',
     connectionState = "connected",
     powerState = "poweredOn",
     faultToleranceState = "notConfigured",
     toolsInstallerMounted = false,
     suspendTime = <unset>,
     bootTime = "2010-06-08T14:26:48.658743Z",
     suspendInterval = 0,
     question = (vim.vm.QuestionInfo) null,
     memoryOverhead = 119189504,
     maxCpuUsage = 2000,
     maxMemoryUsage = 1024,
     numMksConnections = 0,
     recordReplayState = "inactive",
     cleanPowerOff = <unset>,
     needSecondaryReason = <unset>,
  },
  guest = (vim.vm.Summary.GuestSummary) {
     dynamicType = <unset>,
     guestId = "winXPProGuest",
     guestFullName = "Microsoft Windows XP Professional (32-bit)",
     toolsStatus = "toolsOld",
     toolsVersionStatus = "guestToolsNeedUpgrade",
     toolsRunningStatus = "guestToolsRunning",
     hostName = "APACHE-44896D77.dcs.mcnc.org",
     ipAddress = "152.46.16.235",
  },
  config = (vim.vm.Summary.ConfigSummary) {
     dynamicType = <unset>,
     name = "vm-ark-mcnc-9 (nonpersistent: vmwarewinxp-base234-v12)",
     template = false,
     vmPathName = "[nfs-datastore] vm-ark-mcnc-9_234-v12/vm-ark-mcnc-9_234-v12.vmx",
     memorySizeMB = 1024,
     ...
     numCpu = 1,
     numEthernetCards = 2,
     numVirtualDisks = 1,
     uuid = "564d36cf-6988-c91d-0f5f-a62628d46553",
     instanceUuid = "",
     guestId = "winXPProGuest",
     guestFullName = "Microsoft Windows XP Professional (32-bit)",
     annotation = "",
     ...
  },
  storage = (vim.vm.Summary.StorageSummary) {
     dynamicType = <unset>,
     committed = 4408509391,
     uncommitted = 11697668096,
     unshared = 4408509391,
     timestamp = "2010-06-08T14:26:30.312473Z",
  },
  quickStats = (vim.vm.Summary.QuickStats) { ... },
  overallStatus = "green",
}
`;

/** The disk of the ESXi 6.x device.getdevices excerpt (esxi-facts 1.5), as it stands in the device list. */
const DEVICES_6X_DISK = `      (vim.vm.device.VirtualDisk) {
         key = 2000,
         deviceInfo = (vim.Description) {
            label = "Hard disk 1",
            summary = "209,715,200 KB"
         },
         backing = (vim.vm.device.VirtualDisk.FlatVer2BackingInfo) {
            fileName = "[datastore1] ate-tester1/ate-tester1.vmdk",
            datastore = 'vim.Datastore:5e0026d9-a647150e-d8a8-4cedfb76e9d5',
            backingObjectId = "",
            diskMode = "persistent",
            split = false,
            writeThrough = false,
            thinProvisioned = false,
            eagerlyScrub = <unset>,
            uuid = "6000C294-7b3f-53be-cb4b-ee5e3d92722e",
            contentId = "7d0a0813c0306b532b906208c88ac9c7",
            changeId = <unset>,
            parent = (vim.vm.device.VirtualDisk.FlatVer2BackingInfo) null,
            deltaDiskFormat = <unset>,
            digestEnabled = false,
            deltaGrainSize = <unset>,
            deltaDiskFormatVariant = <unset>,
            sharing = "sharingNone"
         },
         connectable = (vim.vm.device.VirtualDevice.ConnectInfo) null,
         slotInfo = (vim.vm.device.VirtualDevice.BusSlotInfo) null,
         controllerKey = 1000,
         unitNumber = 0,
         capacityInKB = 209715200,
         capacityInBytes = 214748364800,
         shares = (vim.SharesInfo) {
            shares = 1000,
            level = "normal"
         },
         storageIOAllocation = (vim.StorageResourceManager.IOAllocationInfo) {
            limit = -1,
            shares = (vim.SharesInfo) {
               shares = 1000,
               level = "normal"
            },
            reservation = 0
         },
         diskObjectId = "1-2000",
         vFlashCacheConfigInfo = (vim.vm.device.VirtualDisk.VFlashCacheConfigInfo) null,
      },`;

/** The head of the same excerpt, up to the device list, and the controller's fields. */
const DEVICES_6X_HEAD = `(vim.vm.VirtualHardware) {
   numCPU = 2,
   numCoresPerSocket = 1,
   memoryMB = 3072,
   virtualICH7MPresent = false,
   virtualSMCPresent = false,
   device = (vim.vm.device.VirtualDevice) [
`;
const DEVICES_6X_CONTROLLER = `      (vim.vm.device.VirtualLsiLogicSASController) {
         key = 1000,
         deviceInfo = (vim.Description) {
            label = "SCSI controller 0",
            summary = "LSI Logic SAS"
         },
         ...
         controllerKey = 100,
         unitNumber = 3,
         busNumber = 0,
         device = (int) [
            2000
         ],
         hotAddRemove = true,
         sharedBus = "noSharing",
         scsiCtlrUnitNumber = 7
      },`;

/** VCL VIM_SSH.pm ll.744–768 (ESX 4.x listsummary), the VMFS entry. */
const LISTSUMMARY_4X = `(vim.Datastore.Summary) [
\t(vim.Datastore.Summary) {
\t\tdynamicType = <unset>,
\t\tdatastore = 'vim.Datastore:4bcf0efe-c426acc4-c7e1-001a644d1cc0',
\t\tname = "local-datastore",
\t\turl = "/vmfs/volumes/4bcf0efe-c426acc4-c7e1-001a644d1cc0",
\t\tcapacity = 31138512896,
\t\tfreeSpace = 26277314560,
\t\tuncommitted = 0,
\t\taccessible = true,
\t\tmultipleHostAccess = <unset>,
\t\ttype = "VMFS",
\t},`;

const withoutDynamicType = (s: string): string[] => s.split("\n").filter((l) => !l.trim().startsWith("dynamicType = "));

/** `name = (type)` or `name` per field line, `(type)` per list item; braces, brackets and `...` dropped. */
function shape(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    const l = raw.trim();
    const m = /^(\w+) = (\([\w.]+\))?/u.exec(l);
    if (m !== null) out.push(m[2] === undefined ? (m[1] ?? "") : `${m[1] ?? ""} = ${m[2]}`);
    else if (/^\([\w.]+\) [{[]/u.test(l)) out.push(l.replace(/ [{[].*$/u, ""));
  }
  return out;
}

function assertSubsequence(sample: readonly string[], actual: readonly string[], what: string): void {
  let i = 0;
  for (const line of actual) if (line === sample[i]) i++;
  assert.equal(i, sample.length, `${what}: sample line ${i} (${JSON.stringify(sample[i])}) is missing or out of order in\n${actual.join("\n")}`);
}

const DS: DatastoreConfig = { name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", vmfsVersion: 6, capacityBytes: 1 << 30 };

function sampleVm(): VmRecord {
  return {
    vmid: 1,
    dsUuid: DS.uuid,
    folder: "ate-tester1",
    vmxFile: "ate-tester1.vmx",
    name: "ate-tester1",
    guestId: "windows7Guest",
    annotation: "",
    powerState: "poweredOn",
    cbt: false,
    hardwareVersion: 11,
    memoryMB: 3072,
    numCpus: 2,
    uuidBios: "56 4d 36 cf 69 88 c9 1d-0f 5f a6 26 28 d4 65 53",
    vcUuid: "52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00",
    instanceUuid: "52000000-0000-0000-0000-000000000000",
    bootTimeMs: Date.parse("2010-06-08T14:26:48Z"),
    disks: [
      {
        slot: "scsi0:0",
        baseFile: "ate-tester1.vmdk",
        sizeBytes: 214748364800,
        provisioning: "zeroedthick",
        uuid: "60 00 C2 94 7b 3f 53 be-cb 4b ee 5e 3d 92 72 2e",
        cid: "7d0a0813",
        adapterType: "lsilogic",
        deltas: [],
        hotSet: [],
      },
    ],
    snapshots: [],
    lastSnapshotUid: 0,
    workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 },
  };
}

test("get.summary has every field of the 4.x sample, in order, with its types (no dynamicType)", () => {
  const out = renderVimObject(vmSummary(sampleVm(), DS, 0, "2010-06-08T14:26:48.658743Z"));
  assert.doesNotMatch(out, /dynamicType/u);
  assertSubsequence(shape(withoutDynamicType(GET_SUMMARY_4X)), shape(out.split("\n")), "get.summary");
  assert.ok(out.startsWith("(vim.vm.Summary) {\n   vm = 'vim.VirtualMachine:1',\n   runtime = (vim.vm.RuntimeInfo) {\n      host = 'vim.HostSystem:ha-host',\n"));
  assert.ok(out.endsWith('   overallStatus = "green"\n}\n'));
  // Times carry microseconds, as in the sample (`bootTime`, `timestamp`).
  const times = [...out.matchAll(/^ +(bootTime|timestamp) = "([^"]*)"/gmu)].map((m) => `${m[1] ?? ""} ${m[2] ?? ""}`);
  assert.deepEqual(times, ["bootTime 2010-06-08T14:26:48.658743Z", "timestamp 1970-01-01T00:00:00.000000Z"]);
  assert.equal(vimDateTime(Date.parse("2010-06-08T14:26:48.658Z")), "2010-06-08T14:26:48.658000Z");
});

test("device.getdevices prints the 6.x sample's disk byte for byte (contentId aside) and its head", () => {
  const disk = renderVimObject(virtualDisks(sampleVm(), DS, () => true)[0] ?? 0);
  // The sample's block sits at depth 2 and ends with "}," (not the last device).
  const golden = `${DEVICES_6X_DISK.split("\n").map((l) => l.slice(6)).join("\n").replace(/,$/u, "")}\n`;
  const masked = (s: string): string => s.replace(/contentId = "[0-9a-f]{32}"/u, 'contentId = "<32 hex>"');
  assert.equal(masked(disk), masked(golden));
  assert.match(disk, /contentId = "[0-9a-f]{32}"/u);
  const hw = renderVimObject(virtualHardware(sampleVm(), DS, () => true));
  assert.ok(hw.startsWith(DEVICES_6X_HEAD), hw.slice(0, 300));
  // The simulator's controller is a PVSCSI one; apart from its type it has the sample's fields, in order.
  const controller = shape(DEVICES_6X_CONTROLLER.split("\n")).slice(1);
  assertSubsequence(controller, shape(hw.split("\n")), "SCSI controller");
});

test("hostsvc/datastore/listsummary has the 4.x sample's VMFS entry byte for byte, without dynamicType", () => {
  const ds: DatastoreConfig = { name: "local-datastore", uuid: "4bcf0efe-c426acc4-c7e1-001a644d1cc0", vmfsVersion: 5, capacityBytes: 31138512896 };
  const out = renderVimObject(datastoreSummaries([{ ds, freeBytes: 26277314560 }])).split("\n");
  const golden = withoutDynamicType(LISTSUMMARY_4X).map((l) => l.replace(/^\t+/u, (tabs) => "   ".repeat(tabs.length)));
  // The sample's lines, tabs read as one level each, in order; the simulator adds the maintenanceMode of later
  // hosts, unset and last without a comma as a public 7.0-style listsummary prints it.
  assertSubsequence(golden.slice(0, -1), out, "listsummary");
  assert.equal(out.indexOf('      type = "VMFS",') + 1, out.indexOf("      maintenanceMode = <unset>"));
});
