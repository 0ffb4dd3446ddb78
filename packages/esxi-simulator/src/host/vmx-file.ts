/**
 * `.vmx` text (esxi-facts 2.2): `key = "value"` lines, keys matched case-insensitively when read. What the
 * host writes mirrors the real 6.7+/7 sample's key set and order, abridged to what the simulated VM has.
 */
export interface VmxDisk {
  slot: string;
  fileName: string;
  ctk: boolean;
}

export interface VmxInput {
  displayName: string;
  guestOs: string;
  hardwareVersion: number;
  memoryMB: number;
  numCpus: number;
  annotation: string;
  cbt: boolean;
  uuidBios: string;
  vcUuid: string;
  disks: VmxDisk[];
  fileBase: string;
  /** Where the swap file is while the VM runs; `sched.swap.derivedName`. */
  swapPath: string;
  /** `migrate.hostlog`: `./<vm>-<8hex>.hlog`, the swap file's hex. */
  hostLog: string;
}

/** Characters a .vmx escapes inside a value: `|` as `|7C`, `"` as `|22`, newline as `|0A` (hex escapes). */
export function escapeVmxValue(s: string): string {
  return s.replace(/[|"\n\r#]/gu, (c) => `|${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

export function unescapeVmxValue(s: string): string {
  return s.replace(/\|([0-9A-Fa-f]{2})/gu, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export function renderVmx(v: VmxInput): string {
  const controllers = [...new Set(v.disks.map((d) => d.slot.split(":")[0] ?? ""))];
  const lines: [string, string][] = [
    [".encoding", "UTF-8"],
    ["config.version", "8"],
    ["virtualHW.version", String(v.hardwareVersion)],
    ["nvram", `${v.fileBase}.nvram`],
    ["pciBridge0.present", "TRUE"],
    ["svga.present", "TRUE"],
    ["vmci0.present", "TRUE"],
    ["hpet0.present", "TRUE"],
    ["floppy0.present", "FALSE"],
    ["numvcpus", String(v.numCpus)],
    ["memSize", String(v.memoryMB)],
  ];
  for (const c of controllers) {
    if (c.startsWith("scsi")) lines.push([`${c}.virtualDev`, "pvscsi"]);
    lines.push([`${c}.present`, "TRUE"]);
  }
  if (v.cbt) lines.push(["ctkEnabled", "TRUE"]);
  for (const d of v.disks) {
    if (d.slot.startsWith("scsi")) lines.push([`${d.slot}.deviceType`, "scsi-hardDisk"]);
    lines.push([`${d.slot}.fileName`, d.fileName]);
    if (d.slot.startsWith("scsi")) lines.push([`sched.${d.slot}.shares`, "normal"], [`sched.${d.slot}.throughputCap`, "off"]);
    lines.push([`${d.slot}.present`, "TRUE"]);
    if (d.ctk) lines.push([`${d.slot}.ctkEnabled`, "TRUE"]);
    lines.push([`${d.slot}.redo`, ""]);
  }
  lines.push(
    ["ethernet0.virtualDev", "vmxnet3"],
    ["ethernet0.networkName", "VM Network"],
    ["ethernet0.addressType", "generated"],
    ["ethernet0.present", "TRUE"],
    ["displayName", v.displayName],
    ["annotation", v.annotation],
    ["guestOS", v.guestOs],
    ["uuid.bios", v.uuidBios],
    ["uuid.location", v.uuidBios],
    ["vc.uuid", v.vcUuid],
    ["sched.swap.derivedName", v.swapPath],
    ["migrate.hostlog", v.hostLog],
    ["cleanShutdown", "TRUE"],
    ["softPowerOff", "FALSE"],
    ["extendedConfigFile", `${v.fileBase}.vmxf`],
  );
  return lines.map(([k, val]) => `${k} = "${escapeVmxValue(val)}"`).join("\n") + "\n";
}

/** Key (lower-cased) → value (unescaped). */
export function parseVmx(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\s*([^=#\s]+)\s*=\s*"(.*)"\s*$/u.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1].toLowerCase(), unescapeVmxValue(m[2]));
  }
  return out;
}

/** Disks of a parsed .vmx: present hard disks (ide disks have no deviceType), in file order. */
export function vmxDisks(vmx: Map<string, string>): VmxDisk[] {
  const disks: VmxDisk[] = [];
  for (const [key, value] of vmx) {
    const m = /^((?:scsi|sata|nvme|ide)\d+:\d+)\.filename$/u.exec(key);
    if (m?.[1] === undefined || !value.toLowerCase().endsWith(".vmdk")) continue;
    const slot = m[1];
    if (vmx.get(`${slot}.present`)?.toLowerCase() !== "true") continue;
    const type = vmx.get(`${slot}.devicetype`);
    if (type !== undefined && type !== "scsi-hardDisk".toLowerCase() && type.toLowerCase() !== "scsi-harddisk" && type.toLowerCase() !== "disk") continue;
    disks.push({ slot, fileName: value, ctk: vmx.get(`${slot}.ctkenabled`)?.toLowerCase() === "true" });
  }
  return disks;
}
