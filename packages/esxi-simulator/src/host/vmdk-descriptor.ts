/**
 * VMDK descriptor text (esxi-facts 2.3, [verbatim] samples): base disks (`createType="vmfs"`, one
 * `RW <sectors> VMFS "<x>-flat.vmdk"` extent, `ddb.thinProvisioned = "1"` only on thin disks, `version=3`
 * and `changeTrackPath` with CBT) and snapshot deltas (`seSparse` on VMFS6 and for disks of 2 TiB or more
 * on VMFS5, `vmfsSparse` otherwise, with `parentCID` equal to the parent's CID and `parentFileNameHint`).
 *
 * Base and seSparse descriptors follow the modern samples: no `encoding=` line in the header, the encoding
 * as `ddb.encoding` among the alphabetically sorted `ddb.*` keys, and no blank line between
 * `parentFileNameHint` and `# Extent description` in a delta. The only vmfsSparse sample comes from an
 * older host (`encoding="UTF-8"` and `isNativeSnapshot="no"` in the header) and is followed as it is.
 */
export interface DescriptorInfo {
  version: number;
  cid: string;
  parentCid: string;
  createType: string;
  parentFileNameHint?: string;
  extentType: string;
  extentFile: string;
  sectors: number;
  changeTrackPath?: string;
  thin: boolean;
  adapterType?: string;
  uuid?: string;
}

export interface BaseDescriptorInput {
  cid: string;
  sizeBytes: number;
  flatFile: string;
  thin: boolean;
  adapterType: string;
  uuid: string;
  longContentId: string;
  hardwareVersion: number;
  ctkFile?: string;
}

/** CHS geometry as ESXi writes it for SCSI disks (255 heads, 63 sectors) and IDE (16 heads, 63 sectors). */
function geometry(sectors: number, adapterType: string): { cylinders: number; heads: number; sectors: number } {
  const heads = adapterType === "ide" ? 16 : 255;
  return { cylinders: Math.max(1, Math.floor(sectors / (heads * 63))), heads, sectors: 63 };
}

export function renderBaseDescriptor(d: BaseDescriptorInput): string {
  const sectors = d.sizeBytes / 512;
  const g = geometry(sectors, d.adapterType);
  const lines = [
    "# Disk DescriptorFile",
    `version=${d.ctkFile === undefined ? 1 : 3}`,
    `CID=${d.cid}`,
    "parentCID=ffffffff",
    'createType="vmfs"',
    "",
    "# Extent description",
    `RW ${sectors} VMFS "${d.flatFile}"`,
    "",
  ];
  if (d.ctkFile !== undefined) lines.push("# Change Tracking File", `changeTrackPath="${d.ctkFile}"`, "");
  lines.push(
    "# The Disk Data Base",
    "#DDB",
    "",
    `ddb.adapterType = "${d.adapterType}"`,
    'ddb.deletable = "true"',
    'ddb.encoding = "UTF-8"',
    `ddb.geometry.cylinders = "${g.cylinders}"`,
    `ddb.geometry.heads = "${g.heads}"`,
    `ddb.geometry.sectors = "${g.sectors}"`,
    `ddb.longContentID = "${d.longContentId}"`,
  );
  if (d.thin) lines.push('ddb.thinProvisioned = "1"');
  lines.push(`ddb.uuid = "${d.uuid}"`, `ddb.virtualHWVersion = "${d.hardwareVersion}"`, "");
  return lines.join("\n");
}

export interface DeltaDescriptorInput {
  cid: string;
  parentCid: string;
  parentFile: string;
  sizeBytes: number;
  extentFile: string;
  seSparse: boolean;
  longContentId: string;
  ctkFile?: string;
}

export function renderDeltaDescriptor(d: DeltaDescriptorInput): string {
  const lines = [
    "# Disk DescriptorFile",
    `version=${d.ctkFile === undefined ? 1 : 3}`,
    ...(d.seSparse ? [] : ['encoding="UTF-8"']),
    `CID=${d.cid}`,
    `parentCID=${d.parentCid}`,
    ...(d.seSparse ? [] : ['isNativeSnapshot="no"']),
    `createType="${d.seSparse ? "seSparse" : "vmfsSparse"}"`,
    `parentFileNameHint="${d.parentFile}"`,
    "# Extent description",
    `RW ${d.sizeBytes / 512} ${d.seSparse ? "SESPARSE" : "VMFSSPARSE"} "${d.extentFile}"`,
    "",
  ];
  if (d.ctkFile !== undefined) lines.push("# Change Tracking File", `changeTrackPath="${d.ctkFile}"`, "");
  lines.push("# The Disk Data Base", "#DDB", "");
  if (d.seSparse) lines.push('ddb.encoding = "UTF-8"', 'ddb.grain = "8"');
  lines.push(`ddb.longContentID = "${d.longContentId}"`, "");
  return lines.join("\n");
}

export class DescriptorParseError extends Error {}

/** Parses the fields the host needs; throws DescriptorParseError when the text is not a descriptor. */
export function parseDescriptor(text: string): DescriptorInfo {
  if (!text.startsWith("# Disk DescriptorFile")) throw new DescriptorParseError("not a disk descriptor");
  const kv = new Map<string, string>();
  let extent: RegExpExecArray | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const m = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)\s+"(.*)"/u.exec(line);
    if (m !== null) {
      extent ??= m;
      continue;
    }
    const eq = /^([A-Za-z0-9_.]+)\s*=\s*"?(.*?)"?$/u.exec(line);
    if (eq !== null && eq[1] !== undefined && eq[2] !== undefined) kv.set(eq[1].toLowerCase(), eq[2]);
  }
  if (extent === null) throw new DescriptorParseError("no extent line");
  const info: DescriptorInfo = {
    version: Number(kv.get("version") ?? "1"),
    cid: kv.get("cid") ?? "fffffffe",
    parentCid: kv.get("parentcid") ?? "ffffffff",
    createType: kv.get("createtype") ?? "vmfs",
    extentType: extent[3] ?? "VMFS",
    extentFile: extent[4] ?? "",
    sectors: Number(extent[2]),
    thin: kv.get("ddb.thinprovisioned") === "1",
  };
  const hint = kv.get("parentfilenamehint");
  if (hint !== undefined) info.parentFileNameHint = hint;
  const ctk = kv.get("changetrackpath");
  if (ctk !== undefined) info.changeTrackPath = ctk;
  const adapter = kv.get("ddb.adaptertype");
  if (adapter !== undefined) info.adapterType = adapter;
  const uuid = kv.get("ddb.uuid");
  if (uuid !== undefined) info.uuid = uuid;
  return info;
}
