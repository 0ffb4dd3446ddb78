/**
 * The `.vmx` of a VM restored beside its original (a new name and folder): the point's `.vmx` with only
 * what ties it to the original changed, every other line kept as written.
 *
 * - `displayName` is the new name; `nvram` names the new `.nvram`; each restored disk's slot names its new
 *   descriptor. A disk slot the point holds no data for (an independent disk, a disk left out) is kept but
 *   marked not present, so the VM powers on without it; the caller reports those slots.
 * - Identity (so it runs beside the original without a conflict): `uuid.bios`, `uuid.location`,
 *   `vc.uuid`, `vmci0.id` and the generated MAC addresses (`ethernetN.generatedAddress[Offset]`) are
 *   dropped, and `uuid.action = "create"` asks the host to make new ones instead of asking whether the VM
 *   was moved or copied (docs/adr/0025); a stored answer to that question (`answer.msg.uuid.altered`) goes
 *   too, and so does vCenter's id of the original (`viv.moid`, in the .vmx of a host vCenter manages). A
 *   MAC that vCenter assigned (`addressType = "vpx"`, kept in `generatedAddress`) becomes a generated one:
 *   a standalone host has no vCenter to assign the copy another. Static MAC addresses are the user's choice
 *   and kept. The VM generation id (`vm.genid`, `vm.genidX`) is dropped: Windows reads a changed id as
 *   "restored from a backup" and protects a domain controller's database from a rollback.
 * - Files and folders of the original are not named: `sched.swap.derivedName`, `migrate.hostLog`,
 *   `extendedConfigFile` and a suspended state (`checkpoint.vmState`) are dropped, the host writes new ones;
 *   `workingDir` (where snapshot deltas and the `.vmsd` go), `suspend.directory`, `sched.swap.dir` and
 *   `sched.swap.vmxSwapDir` are dropped so the copy keeps them in its own folder (a folder the target host
 *   lacks fails the power-on).
 *
 * The result is UTF-8 text (its `.encoding` line says so, whatever set the original's named). A value of
 * an original in another set that holds escaped bytes of that set (`|E9`, é in `windows-1252`) is written
 * anew, its characters as UTF-8: kept as written, the bytes would be read as UTF-8, which they are not.
 *
 * Pure: bytes or text in, text out.
 */
import { decodeVmxFile } from "../esxi/parsers/decode-vmx-file.js";
import { readVmxDictionary } from "../esxi/parsers/vmx-dictionary.js";
import { vmxLine } from "./vmx-value.js";

export interface VmxRewrite {
  displayName: string;
  nvramFileName: string;
  /** New descriptor file name by slot (`scsi0:0`, lower case). */
  diskFileNames: ReadonlyMap<string, string>;
}

export interface RewrittenVmx {
  text: string;
  /** Disk slots of the `.vmx` the point holds no data for, now marked not present. */
  detachedSlots: string[];
}

const DROPPED = [
  /^uuid\.bios$/u,
  /^uuid\.location$/u,
  /^uuid\.action$/u,
  /^vc\.uuid$/u,
  /^vmci\d+\.id$/u,
  /^ethernet\d+\.generatedaddress$/u,
  /^ethernet\d+\.generatedaddressoffset$/u,
  /^sched\.swap\.derivedname$/u,
  /^migrate\.hostlog$/u,
  /^extendedconfigfile$/u,
  /^checkpoint\.vmstate$/u,
  /^answer\.msg\.uuid\.altered$/u,
  /^vm\.genid$/u,
  /^vm\.genidx$/u,
  /^workingdir$/u,
  /^suspend\.directory$/u,
  /^sched\.swap\.dir$/u,
  /^sched\.swap\.vmxswapdir$/u,
  /^viv\.moid$/u,
];
const ADDRESS_TYPE = /^ethernet\d+\.addresstype$/u;
const ENTRY = /^\s*([^\s="#]+)\s*=\s*"?(.*?)"?\s*$/u;
const SLOT_FILE = /^((?:scsi|sata|ide|nvme)\d+:\d+)\.filename$/u;
/** An escaped byte outside ASCII: a byte of the file's character set, which UTF-8 would read otherwise. */
const ESCAPED_NON_ASCII = /\|[89A-Fa-f][0-9A-Fa-f]/u;

/** `vmx`: the point's `.vmx`, its bytes (decoded in the set its `.encoding` names) or its text; `source` names it in errors. */
export function rewriteVmxForRestore(vmx: string | Uint8Array, rewrite: VmxRewrite, source = ".vmx"): RewrittenVmx {
  const vmxText = typeof vmx === "string" ? vmx : decodeVmxFile(vmx, source);
  const values = readVmxDictionary(vmxText, source);
  const utf8Original = /^utf-?8$/iu.test(values.get(".encoding")?.value ?? "UTF-8");
  const lines = vmxText.split(/\r?\n/u);
  if (lines[lines.length - 1] === "") lines.pop();
  // Slots whose fileName names a virtual disk and that the point has no data for.
  const detached = new Set<string>();
  for (const line of lines) {
    const m = ENTRY.exec(line);
    const slot = m?.[1] === undefined ? undefined : SLOT_FILE.exec(m[1].toLowerCase())?.[1];
    if (slot !== undefined && /\.vmdk$/iu.test(m?.[2] ?? "") && !rewrite.diskFileNames.has(slot)) detached.add(slot);
  }
  const out: string[] = [];
  let sawName = false;
  let sawNvram = false;
  let sawEncoding = false;
  for (const line of lines) {
    const m = ENTRY.exec(line);
    if (m?.[1] === undefined || line.trim().startsWith("#")) {
      out.push(line);
      continue;
    }
    const key = m[1];
    const lower = key.toLowerCase();
    if (DROPPED.some((pattern) => pattern.test(lower))) continue;
    if (lower === ".encoding") {
      // The text is written back as UTF-8, whatever set the original was in.
      if (!sawEncoding) out.push(/^utf-?8$/iu.test(m[2] ?? "") ? line : vmxLine(key, "UTF-8"));
      sawEncoding = true;
      continue;
    }
    if (lower === "displayname") {
      if (!sawName) out.push(vmxLine(key, rewrite.displayName));
      sawName = true;
      continue;
    }
    if (lower === "nvram") {
      if (!sawNvram) out.push(vmxLine(key, rewrite.nvramFileName));
      sawNvram = true;
      continue;
    }
    const slot = SLOT_FILE.exec(lower)?.[1];
    const newFile = slot === undefined ? undefined : rewrite.diskFileNames.get(slot);
    if (newFile !== undefined) {
      out.push(vmxLine(key, newFile));
      continue;
    }
    if (ADDRESS_TYPE.test(lower) && m[2]?.toLowerCase() === "vpx") {
      out.push(vmxLine(key, "generated"));
      continue;
    }
    const presentOf = /^((?:scsi|sata|ide|nvme)\d+:\d+)\.present$/u.exec(lower)?.[1];
    if (presentOf !== undefined && detached.has(presentOf)) {
      out.push(vmxLine(key, "FALSE"));
      continue;
    }
    const value = values.get(lower)?.value;
    if (!utf8Original && value !== undefined && ESCAPED_NON_ASCII.test(m[2] ?? "")) {
      out.push(vmxLine(key, value));
      continue;
    }
    out.push(line);
  }
  // ESXi writes the set first; a file without it was read as UTF-8, and is written as that, said.
  if (!sawEncoding) out.unshift(vmxLine(".encoding", "UTF-8"));
  if (!sawName) out.push(vmxLine("displayName", rewrite.displayName));
  if (!sawNvram) out.push(vmxLine("nvram", rewrite.nvramFileName));
  out.push(vmxLine("uuid.action", "create"));
  return { text: `${out.join("\n")}\n`, detachedSlots: [...detached].sort() };
}
