/**
 * Whether the base of a disk's chain is a file whose bytes are the disk's bytes — what the backup reads, byte
 * for byte, under the run's snapshot — and if not, what it is instead. Decided from the base descriptor alone
 * (esxi-facts 2.3), pure.
 *
 * Read: one extent of type `VMFS` (ESXi's thin and thick disks) or `FLAT` starting at the start of its file
 * (`monolithicFlat`, a hosted disk's raw extent). Everything else would be read as garbage or not at all:
 * - raw device mappings (`vmfsRawDeviceMap`, `vmfsPassthroughRawDeviceMap`; the extent is `VMFSRDM` for both
 *   on current hosts, `VMFSRAW` on old ones): the data is on a LUN;
 * - extents that are storage objects, not files (`vsan://<uuid>` on vSAN, with `vsanSparse` deltas; `vvol://`);
 * - encrypted disks (VM Encryption: `encryptionKeys=` and `ddb.iofilters = "vmwarevmcrypt"`; a class of their
 *   own): "data in an encrypted virtual disk (VMDK) file is never written in cleartext to storage" (vSphere
 *   Security guide, 6.5 and later), only the host's crypto filter reads it;
 * - sparse extents (`SPARSE` of `monolithicSparse`/`twoGbMaxExtentSparse`/`streamOptimized`, `VMFSSPARSE`,
 *   `SESPARSE`): the file holds the format's grain tables, not the disk;
 * - a hosted product's raw disk (`fullDevice`, `partitionedDevice`): its extents are devices of that machine;
 * - more than one extent (`twoGbMaxExtentFlat`), a `ZERO` extent, a `FLAT` extent that starts inside its file.
 */
import type { VmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";

export type BaseDiskClass =
  | { readonly kind: "flat" }
  | { readonly kind: "rdm"; readonly compatibility: "virtual" | "physical" }
  /** VM Encryption: refused for a reason of its own, since the user chose it and can undo it. */
  | { readonly kind: "encrypted" }
  /** `why` completes "the base disk …": "is a vSAN object (vsan://…), …". */
  | { readonly kind: "unreadable"; readonly why: string };

const STORAGE_OBJECT = /^([a-z][a-z0-9+.-]*):\/\//iu;
const SPARSE_EXTENTS = new Set(["SPARSE", "VMFSSPARSE", "SESPARSE", "VSANSPARSE"]);

export function classifyBaseDisk(base: VmdkDescriptor): BaseDiskClass {
  const createType = base.createType.toLowerCase();
  if (createType === "vmfspassthroughrawdevicemap" || base.extents.some((e) => e.type === "VMFSRAW")) return { kind: "rdm", compatibility: "physical" };
  if (createType === "vmfsrawdevicemap" || base.extents.some((e) => e.type === "VMFSRDM")) return { kind: "rdm", compatibility: "virtual" };
  const object = base.extents.map((e) => STORAGE_OBJECT.exec(e.fileName ?? "")).find((m) => m !== null);
  if (object?.[1] !== undefined) {
    return { kind: "unreadable", why: `is a ${object[1].toLowerCase() === "vsan" ? "vSAN" : object[1]} object (${object[0]}…), not a file on the datastore: the host's shell cannot read it` };
  }
  if (base.values.has("encryptionkeys") || /vmwarevmcrypt/iu.test(base.ddb.get("ddb.iofilters") ?? "")) {
    return { kind: "encrypted" };
  }
  if (createType === "fulldevice" || createType === "partitioneddevice") {
    return { kind: "unreadable", why: `maps a whole device or partitions (createType "${base.createType}") of the machine that made it, not a file of the disk's bytes` };
  }
  const [extent, ...more] = base.extents;
  if (extent === undefined) return { kind: "unreadable", why: "has no extent" };
  if (more.length > 0) {
    return { kind: "unreadable", why: `is split into ${base.extents.length} extents (createType "${base.createType}"): only a disk in one file is backed up; convert it with vmkfstools -i` };
  }
  if (SPARSE_EXTENTS.has(extent.type)) {
    return { kind: "unreadable", why: `is a sparse disk (createType "${base.createType}", extent ${extent.type}): its file holds the format's grain tables, not the disk's bytes; convert it with vmkfstools -i` };
  }
  if (extent.type !== "VMFS" && extent.type !== "FLAT") return { kind: "unreadable", why: `has a ${extent.type} extent, which is not a file of the disk's bytes` };
  if ((extent.offsetSectors ?? 0) !== 0) return { kind: "unreadable", why: `starts ${extent.offsetSectors} sectors into its file ${extent.fileName}: only a disk that is its whole file is backed up` };
  return { kind: "flat" };
}
