/**
 * The vim data objects vim-cmd prints, built from the host's records (esxi-facts 1.4–1.8). Field sets and
 * order follow the verbatim samples; where only ESX 4/5 samples exist (get.summary, listsummary) the same
 * structure is printed without `dynamicType` lines ([UNCONFIRMED] for 6.5+, as the reference says).
 */
import type { DatastoreConfig } from "../config/simulator-config.js";
import type { DiskRecord, VmRecord } from "../host/vm-record.js";
import { createHash } from "node:crypto";
import { vmxUuid } from "../host/vm-identity.js";
import { vim, type VimValue } from "./vim-object.js";

export function guestFullName(guestId: string): string {
  const names: Record<string, string> = {
    ubuntu64Guest: "Ubuntu Linux (64-bit)",
    centos7_64Guest: "CentOS 7 (64-bit)",
    windows9Server64Guest: "Microsoft Windows Server 2016 or later (64-bit)",
    windows9_64Guest: "Microsoft Windows 10 (64-bit)",
    otherGuest64: "Other (64-bit)",
  };
  return names[guestId] ?? "Other (64-bit)";
}

/** `vmx-07`: two digits at least, as getallvms, get.config and get.summary print it. */
export function hardwareVersionLabel(version: number): string {
  return `vmx-${String(version).padStart(2, "0")}`;
}

/** A time as vim-cmd prints it: UTC with microseconds, `2010-06-08T14:26:48.658743Z` (esxi-facts 1.4, 1.9). */
export function vimDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/u, ".$1000Z");
}

export function kbWithSeparators(kb: number): string {
  return `${kb.toLocaleString("en-US")} KB`;
}

/**
 * contentId per chain level: distinct along a chain and new after writes (a real host's is the descriptor's
 * `ddb.longContentID`); derived from the disk's uuid, the level's file and its write count.
 */
function contentId(disk: DiskRecord, file: string, seq: number): string {
  return createHash("sha256").update(`${disk.uuid}/${file}/${seq}`).digest("hex").slice(0, 32);
}

function diskBacking(bracketFile: string, dsUuid: string, disk: DiskRecord, parent: VimValue, deltaFormat: string | undefined, ids: { contentId: string; changeId: string | undefined }): VimValue {
  return vim.obj("vim.vm.device.VirtualDisk.FlatVer2BackingInfo", [
    ["fileName", vim.str(bracketFile)],
    ["datastore", vim.ref(`vim.Datastore:${dsUuid}`)],
    ["backingObjectId", vim.str("")],
    ["diskMode", vim.str("persistent")],
    ["split", false],
    ["writeThrough", false],
    ["thinProvisioned", disk.provisioning === "thin"],
    ["eagerlyScrub", disk.provisioning === "eagerzeroedthick" ? true : vim.unset],
    ["uuid", vim.str(disk.uuid.replace(/ /gu, "").replace(/^(.{8})(.{4})(.{4})-?(.{4})(.{12})$/u, "$1-$2-$3-$4-$5"))],
    ["contentId", vim.str(ids.contentId)],
    ["changeId", vim.optStr(ids.changeId)],
    ["parent", parent],
    ["deltaDiskFormat", vim.optStr(deltaFormat)],
    ["digestEnabled", false],
    ["deltaGrainSize", deltaFormat === "seSparseFormat" ? 8 : vim.unset],
    ["deltaDiskFormatVariant", vim.unset],
    ["sharing", vim.str("sharingNone")],
  ]);
}

/** `seSparse` tells, per disk, whether its deltas are seSparse (else vmfsSparse, the API's `redoLogFormat`). */
export function virtualDisks(vm: VmRecord, ds: DatastoreConfig, seSparse: (disk: DiskRecord) => boolean): VimValue[] {
  const folder = vm.folder;
  return vm.disks.map((disk, i) => {
    const files = [disk.baseFile, ...disk.deltas];
    let backing: VimValue = vim.null("vim.vm.device.VirtualDisk.FlatVer2BackingInfo");
    // CBT: `<epoch uuid>/<sequence>` (esxi-facts 1.5/3), the sequence growing with the guest's writes.
    if (vm.cbt) disk.changeEpoch ??= vmxUuid("52");
    files.forEach((f, level) => {
      const format = level === 0 ? undefined : seSparse(disk) ? "seSparseFormat" : "redoLogFormat";
      const seq = level === files.length - 1 ? (disk.changeSeq ?? 0) : (disk.levelSeqs?.[level] ?? 0);
      const changeId = vm.cbt ? `${disk.changeEpoch ?? ""}/${seq}` : undefined;
      backing = diskBacking(`[${ds.name}] ${folder}/${f}`, ds.uuid, disk, backing, format, { contentId: contentId(disk, f, seq), changeId });
    });
    const unit = Number(disk.slot.split(":")[1] ?? "0");
    const ctrl = Number(/\d+/u.exec(disk.slot)?.[0] ?? "0");
    const kb = disk.sizeBytes / 1024;
    return vim.obj("vim.vm.device.VirtualDisk", [
      ["key", 2000 + ctrl * 16 + unit + (i > 100 ? i : 0)],
      ["deviceInfo", vim.obj("vim.Description", [["label", vim.str(`Hard disk ${i + 1}`)], ["summary", vim.str(kbWithSeparators(kb))]])],
      ["backing", backing],
      ["connectable", vim.null("vim.vm.device.VirtualDevice.ConnectInfo")],
      ["slotInfo", vim.null("vim.vm.device.VirtualDevice.BusSlotInfo")],
      ["controllerKey", 1000 + ctrl],
      ["unitNumber", unit],
      ["capacityInKB", kb],
      ["capacityInBytes", disk.sizeBytes],
      ["shares", vim.obj("vim.SharesInfo", [["shares", 1000], ["level", vim.str("normal")]])],
      [
        "storageIOAllocation",
        vim.obj("vim.StorageResourceManager.IOAllocationInfo", [
          ["limit", -1],
          ["shares", vim.obj("vim.SharesInfo", [["shares", 1000], ["level", vim.str("normal")]])],
          ["reservation", 0],
        ]),
      ],
      ["diskObjectId", vim.str(`${vm.vmid}-${2000 + ctrl * 16 + unit}`)],
      ["vFlashCacheConfigInfo", vim.null("vim.vm.device.VirtualDisk.VFlashCacheConfigInfo"), true],
    ]);
  });
}

export function virtualHardware(vm: VmRecord, ds: DatastoreConfig, seSparse: (disk: DiskRecord) => boolean): VimValue {
  const controllers = [...new Set(vm.disks.map((d) => d.slot.split(":")[0] ?? ""))].filter((c) => c.startsWith("scsi"));
  const ctrlObjs = controllers.map((c) => {
    const n = Number(c.slice(4));
    const keys = vm.disks.filter((d) => d.slot.startsWith(`${c}:`)).map((d) => 2000 + n * 16 + Number(d.slot.split(":")[1]));
    return vim.obj("vim.vm.device.ParaVirtualSCSIController", [
      ["key", 1000 + n],
      ["deviceInfo", vim.obj("vim.Description", [["label", vim.str(`SCSI controller ${n}`)], ["summary", vim.str("VMware paravirtual SCSI")]])],
      ["controllerKey", 100],
      ["unitNumber", 3 + n],
      ["busNumber", n],
      ["device", vim.list("int", keys)],
      ["hotAddRemove", true],
      ["sharedBus", vim.str("noSharing")],
      ["scsiCtlrUnitNumber", 7],
    ]);
  });
  return vim.obj("vim.vm.VirtualHardware", [
    ["numCPU", vm.numCpus],
    ["numCoresPerSocket", 1],
    ["memoryMB", vm.memoryMB],
    ["virtualICH7MPresent", false],
    ["virtualSMCPresent", false],
    ["device", vim.list("vim.vm.device.VirtualDevice", [...ctrlObjs, ...virtualDisks(vm, ds, seSparse)])],
  ]);
}

export function vmSummary(vm: VmRecord, ds: DatastoreConfig, committedBytes: number, bootTime: string | undefined): VimValue {
  const vmPath = `[${ds.name}] ${vm.folder}/${vm.vmxFile}`;
  const full = guestFullName(vm.guestId);
  const total = vm.disks.reduce((n, d) => n + d.sizeBytes, 0);
  return vim.obj("vim.vm.Summary", [
    ["vm", vim.ref(`vim.VirtualMachine:${vm.vmid}`)],
    [
      "runtime",
      vim.obj("vim.vm.RuntimeInfo", [
        ["host", vim.ref("vim.HostSystem:ha-host")],
        ["connectionState", vim.str("connected")],
        ["powerState", vim.str(vm.powerState)],
        ["faultToleranceState", vim.str("notConfigured")],
        ["toolsInstallerMounted", false],
        ["suspendTime", vim.unset],
        ["bootTime", vim.optStr(bootTime)],
        ["suspendInterval", 0],
        ["question", vim.null("vim.vm.QuestionInfo")],
        ["memoryOverhead", vim.unset],
        ["maxCpuUsage", vm.powerState === "poweredOn" ? vm.numCpus * 2000 : vim.unset],
        ["maxMemoryUsage", vm.powerState === "poweredOn" ? vm.memoryMB : vim.unset],
        ["numMksConnections", 0],
        ["recordReplayState", vim.str("inactive")],
        ["cleanPowerOff", vim.unset],
        ["needSecondaryReason", vim.unset],
        ["consolidationNeeded", (vm.unownedDeltas ?? 0) > 0, true],
      ]),
    ],
    [
      "guest",
      vim.obj("vim.vm.Summary.GuestSummary", [
        ["guestId", vim.unset],
        ["guestFullName", vim.unset],
        ["toolsStatus", vim.str("toolsNotInstalled")],
        ["toolsVersionStatus", vim.str("guestToolsNotInstalled")],
        ["toolsVersionStatus2", vim.str("guestToolsNotInstalled")],
        ["toolsRunningStatus", vim.str("guestToolsNotRunning")],
        ["hostName", vim.unset],
        ["ipAddress", vim.unset, true],
      ]),
    ],
    [
      "config",
      vim.obj("vim.vm.Summary.ConfigSummary", [
        ["name", vim.str(vm.name)],
        ["template", false],
        ["vmPathName", vim.str(vmPath)],
        ["memorySizeMB", vm.memoryMB],
        ["cpuReservation", 0],
        ["memoryReservation", 0],
        ["numCpu", vm.numCpus],
        ["numEthernetCards", 1],
        ["numVirtualDisks", vm.disks.length],
        ["uuid", vim.str(vm.uuidBios.replace(/ /gu, "").replace(/^(.{8})(.{4})(.{4})-(.{4})(.{12})$/u, "$1-$2-$3-$4-$5"))],
        ["instanceUuid", vim.str(vm.instanceUuid)],
        ["guestId", vim.str(vm.guestId)],
        ["guestFullName", vim.str(full)],
        ["annotation", vim.str(vm.annotation)],
        ["product", vim.null("vim.vApp.ProductInfo")],
        ["installBootRequired", false],
        ["hwVersion", vim.str(hardwareVersionLabel(vm.hardwareVersion)), true],
      ]),
    ],
    [
      "storage",
      vim.obj("vim.vm.Summary.StorageSummary", [
        ["committed", committedBytes],
        ["uncommitted", Math.max(0, total - committedBytes)],
        ["unshared", committedBytes],
        ["timestamp", vim.str(vimDateTime(0))],
      ]),
    ],
    // quickStats sits between storage and overallStatus in the 4.x sample; its fields here are the API's
    // (vim.vm.Summary.QuickStats) for a guest without Tools [UNCONFIRMED as printed by 6.5+].
    [
      "quickStats",
      vim.obj("vim.vm.Summary.QuickStats", [
        ["overallCpuUsage", vm.powerState === "poweredOn" ? 20 : 0],
        ["overallCpuDemand", vm.powerState === "poweredOn" ? 20 : 0],
        ["guestMemoryUsage", 0],
        ["hostMemoryUsage", vm.powerState === "poweredOn" ? vm.memoryMB : 0],
        ["guestHeartbeatStatus", vim.str("gray")],
        ["uptimeSeconds", 0],
      ]),
    ],
    ["overallStatus", vim.str("green")],
  ]);
}

export function vmConfigInfo(vm: VmRecord, ds: DatastoreConfig, seSparse: (disk: DiskRecord) => boolean): VimValue {
  return vim.obj("vim.vm.ConfigInfo", [
    ["changeVersion", vim.str("")],
    ["modified", vim.str("1970-01-01T00:00:00Z")],
    ["name", vim.str(vm.name)],
    ["guestFullName", vim.str(guestFullName(vm.guestId))],
    ["version", vim.str(hardwareVersionLabel(vm.hardwareVersion))],
    ["uuid", vim.str(vm.uuidBios.replace(/ /gu, "").replace(/^(.{8})(.{4})(.{4})-(.{4})(.{12})$/u, "$1-$2-$3-$4-$5"))],
    ["instanceUuid", vim.str(vm.instanceUuid)],
    ["template", false],
    ["guestId", vim.str(vm.guestId)],
    ["annotation", vim.str(vm.annotation)],
    [
      "files",
      vim.obj("vim.vm.FileInfo", [
        ["vmPathName", vim.str(`[${ds.name}] ${vm.folder}/${vm.vmxFile}`)],
        ["snapshotDirectory", vim.str(`[${ds.name}] ${vm.folder}/`)],
        ["suspendDirectory", vim.str(`[${ds.name}] ${vm.folder}/`)],
        ["logDirectory", vim.str(`[${ds.name}] ${vm.folder}/`)],
      ]),
    ],
    ["changeTrackingEnabled", vm.cbt],
    ["hardware", virtualHardware(vm, ds, seSparse)],
  ]);
}

export function guestInfo(vm: VmRecord): VimValue {
  return vim.obj("vim.vm.GuestInfo", [
    ["toolsStatus", vim.str("toolsNotInstalled")],
    ["toolsVersionStatus", vim.str("guestToolsNotInstalled")],
    ["toolsVersionStatus2", vim.str("guestToolsNotInstalled")],
    ["toolsRunningStatus", vim.str("guestToolsNotRunning")],
    ["toolsVersion", vim.str("0")],
    ["toolsInstallType", vim.str("guestToolsTypeUnknown")],
    ["toolsUpdateStatus", vim.null("vim.vm.GuestInfo.ToolsUpdateStatus")],
    ["guestId", vim.unset],
    ["guestFamily", vim.unset],
    ["guestFullName", vim.unset],
    ["guestDetailedData", vim.unset],
    ["hostName", vim.unset],
    ["ipAddress", vim.unset],
    ["net", vim.unset],
    ["ipStack", vim.unset],
    ["disk", vim.unset],
    ["screen", vim.obj("vim.vm.GuestInfo.ScreenInfo", [["width", 1024], ["height", 768]])],
    ["guestState", vim.str(vm.powerState === "poweredOn" ? "running" : "notRunning")],
    ["hwVersion", vim.str(hardwareVersionLabel(vm.hardwareVersion))],
    [
      "customizationInfo",
      vim.obj("vim.vm.GuestInfo.CustomizationInfo", [
        ["customizationStatus", vim.str("TOOLSDEPLOYPKG_IDLE")],
        ["startTime", vim.unset],
        ["endTime", vim.unset],
        ["errorMsg", vim.unset],
      ]),
    ],
  ]);
}

export interface DatastoreSummaryInput {
  ds: DatastoreConfig;
  freeBytes: number;
}

export function datastoreSummaries(items: DatastoreSummaryInput[]): VimValue {
  return vim.list(
    "vim.Datastore.Summary",
    items.map(({ ds, freeBytes }) =>
      vim.obj("vim.Datastore.Summary", [
        ["datastore", vim.ref(`vim.Datastore:${ds.uuid}`)],
        ["name", vim.str(ds.name)],
        ["url", vim.str(`/vmfs/volumes/${ds.uuid}`)],
        ["capacity", ds.capacityBytes],
        ["freeSpace", freeBytes],
        ["uncommitted", 0],
        ["accessible", true],
        ["multipleHostAccess", vim.unset],
        ["type", vim.str("VMFS")],
        // Unset on a host of its own (storage DRS, which sets it, is vCenter's), and the last field without its
        // comma: a public listsummary of a 7.0-style host (`, ` line ends) prints `maintenanceMode = <unset>`.
        ["maintenanceMode", vim.unset],
      ]),
    ),
  );
}

export function hostSummary(uptimeSeconds: number, memoryUsageMB: number): VimValue {
  return vim.obj("vim.host.Summary", [
    ["host", vim.ref("vim.HostSystem:ha-host")],
    [
      "hardware",
      vim.obj("vim.host.Summary.HardwareSummary", [
        ["vendor", vim.str("QEMU")],
        ["model", vim.str("Standard PC (Q35 + ICH9, 2009)")],
        [
          "otherIdentifyingInfo",
          vim.list("vim.host.SystemIdentificationInfo", [
            vim.obj("vim.host.SystemIdentificationInfo", [
              ["identifierValue", vim.str("")],
              ["identifierType", vim.obj("vim.ElementDescription", [["label", vim.str("Asset Tag")], ["key", vim.str("AssetTag")]])],
            ]),
          ]),
        ],
        ["memorySize", 8589328384],
        ["cpuModel", vim.str("AMD Ryzen 7 5825U with Radeon Graphics         ")],
        ["cpuMhz", 1996],
        ["numCpuPkgs", 1],
        ["numCpuCores", 8],
        ["numCpuThreads", 8],
        ["numNics", 1],
        ["numHBAs", 2],
      ]),
    ],
    [
      "runtime",
      vim.obj("vim.host.RuntimeInfo", [
        ["connectionState", vim.str("connected")],
        ["powerState", vim.str("poweredOn")],
        ["standbyMode", vim.unset],
        ["inMaintenanceMode", false],
        ["inQuarantineMode", vim.unset],
        ["cpuCapacityForVm", vim.unset],
        ["memoryCapacityForVm", vim.unset],
        ["hostMaxVirtualDiskCapacity", 68169720922112, true],
      ]),
    ],
    [
      "quickStats",
      vim.obj("vim.host.Summary.QuickStats", [
        ["overallCpuUsage", 60],
        ["overallMemoryUsage", memoryUsageMB],
        ["distributedCpuFairness", vim.unset],
        ["uptime", uptimeSeconds],
      ]),
      true,
    ],
  ]);
}
