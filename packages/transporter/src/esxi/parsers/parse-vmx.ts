/**
 * A VM's `.vmx` (esxi-facts 2.2). Besides every value (keys lower-cased), it lists the device slots that
 * name a file — `scsiX:Y`, `sataX:Y`, `ideX:Y`, `nvmeX:Y` with a `fileName` — with the keys that decide
 * whether the slot is a disk to back up; `deriveVmDisks` makes that decision. `fileName` may be relative
 * to the VM's folder (through a subfolder, with spaces and parentheses) or absolute, and `ctkEnabled` keys
 * may sit anywhere in the file. Given the file's bytes, it decodes them in the character set the file
 * declares (`decodeVmxFile`); given text, the caller has.
 */
import { decodeVmxFile } from "./decode-vmx-file.js";
import { readVmxDictionary, vmxBoolean, type VmxDictionary } from "./vmx-dictionary.js";

export interface VmxDeviceSlot {
  /** `scsi0:1`, `sata0:0`, `ide0:0`, `nvme0:0` (lower case). */
  readonly slot: string;
  readonly bus: "scsi" | "sata" | "ide" | "nvme";
  readonly controller: number;
  readonly unit: number;
  readonly fileName: string;
  /** `.present`; a slot without the key is not present (the host's default). */
  readonly present: boolean;
  /** `.deviceType` (`scsi-hardDisk`, `cdrom-image`, …); IDE disks often have none. */
  readonly deviceType: string | undefined;
  /**
   * `.mode` as written: `persistent`, `independent-persistent`, `independent-nonpersistent`, or a mode of
   * older releases (`nonpersistent`, `undoable`, `append`); undefined means persistent.
   */
  readonly mode: string | undefined;
  /** `.ctkEnabled` of the slot. */
  readonly ctkEnabled: boolean;
}

export interface ParsedVmx {
  /** Every value by lower-cased key, unescaped. */
  readonly values: ReadonlyMap<string, string>;
  readonly displayName: string | undefined;
  /** The `.vmx` guest id (`ubuntu-64`), not the API's (`ubuntu64Guest`). */
  readonly guestOs: string | undefined;
  readonly annotation: string | undefined;
  /** The VM-wide `ctkEnabled`. */
  readonly ctkEnabled: boolean;
  /** Device slots with a `fileName`, in the order their `fileName` lines appear. */
  readonly deviceSlots: readonly VmxDeviceSlot[];
}

const SLOT_FILE = /^(scsi|sata|ide|nvme)(\d+):(\d+)\.filename$/u;

export function parseVmx(file: string | Uint8Array, source = ".vmx"): ParsedVmx {
  const dict = readVmxDictionary(typeof file === "string" ? file : decodeVmxFile(file, source), source);
  const deviceSlots: VmxDeviceSlot[] = [];
  for (const [key, entry] of dict) {
    const m = SLOT_FILE.exec(key);
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) continue;
    const slot = `${m[1]}${m[2]}:${m[3]}`;
    deviceSlots.push({
      slot,
      bus: m[1] as VmxDeviceSlot["bus"],
      controller: Number(m[2]),
      unit: Number(m[3]),
      fileName: entry.value,
      present: vmxBoolean(dict.get(`${slot}.present`), source) ?? false,
      deviceType: dict.get(`${slot}.devicetype`)?.value,
      mode: dict.get(`${slot}.mode`)?.value,
      ctkEnabled: vmxBoolean(dict.get(`${slot}.ctkenabled`), source) ?? false,
    });
  }
  return {
    values: valuesOf(dict),
    displayName: dict.get("displayname")?.value,
    guestOs: dict.get("guestos")?.value,
    annotation: dict.get("annotation")?.value,
    ctkEnabled: vmxBoolean(dict.get("ctkenabled"), source) ?? false,
    deviceSlots,
  };
}

function valuesOf(dict: VmxDictionary): ReadonlyMap<string, string> {
  return new Map([...dict].map(([key, entry]) => [key, entry.value]));
}
