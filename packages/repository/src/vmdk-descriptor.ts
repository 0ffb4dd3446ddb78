/**
 * The text descriptor of a monolithicFlat VMDK: the extent is the raw `-flat.vmdk` file beside it. This is
 * what ESXi itself writes for thick disks and what `qemu-img` reads. Sizes are in 512-byte sectors.
 */
import type { DiskGeometry } from "@esxbackup/domain";

export function vmdkDescriptor(options: { flatFileName: string; sizeBytes: number; geometry?: DiskGeometry; adapterType?: string }): string {
  const sectors = Math.ceil(options.sizeBytes / 512);
  const geometry = options.geometry ?? { cylinders: Math.min(16383, Math.ceil(sectors / (16 * 63))), heads: 16, sectors: 63 };
  const adapterType = options.adapterType ?? "lsilogic";
  const name = options.flatFileName.replace(/["\\\n]/g, "_");
  return [
    "# Disk DescriptorFile",
    "version=1",
    "encoding=\"UTF-8\"",
    "CID=fffffffe",
    "parentCID=ffffffff",
    "createType=\"monolithicFlat\"",
    "",
    "# Extent description",
    `RW ${sectors} FLAT "${name}" 0`,
    "",
    "# The Disk Data Base",
    "#DDB",
    "",
    `ddb.adapterType = "${adapterType.replace(/["\\\n]/g, "_")}"`,
    `ddb.geometry.cylinders = "${geometry.cylinders}"`,
    `ddb.geometry.heads = "${geometry.heads}"`,
    `ddb.geometry.sectors = "${geometry.sectors}"`,
    "ddb.virtualHWVersion = \"13\"",
    "",
  ].join("\n");
}
