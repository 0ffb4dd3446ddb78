/**
 * A VMDK descriptor (esxi-facts 2.3): `# Disk DescriptorFile`, `key=value` header lines (`version`, `CID`,
 * `parentCID`, `createType`, `parentFileNameHint`, `changeTrackPath` on version 3 with CBT), extent lines
 * `<RW|RDONLY|NOACCESS> <sectors> <TYPE> "<file>" [offset]`, and `ddb.*` lines in any order. Keys are
 * matched without regard to case; spaces around `=` and quotes around values are optional; a quoted file
 * name runs to the line's last quote, as names may contain quotes; a `# comment` after a closing quote is
 * dropped (generators of streamOptimized descriptors write them). Sizes are in 512-byte sectors.
 *
 * A descriptor is recognised as VMware's own code recognises one (famz.github.io, "More about VMDK descriptor
 * file", 2011): its first line that is not blank or a comment sets `version`. ESXi and every tool start the
 * file with `# Disk DescriptorFile`; a descriptor written by hand may not, and the host opens it all the same.
 * Anything else (a binary extent read by mistake, an error message) is refused before it is read further.
 *
 * Given the file's bytes, it looks for the magic of a binary format first and then decodes them in the
 * character set the descriptor declares (`decodeVmxFile`); given text, the caller has decoded it.
 */
import { decodeVmxFile } from "./decode-vmx-file.js";
import { HostOutputError } from "./host-output-error.js";
import { outputLines, unexpectedLine, type OutputLine } from "./output-lines.js";

export type ExtentAccess = "RW" | "RDONLY" | "NOACCESS";

export interface VmdkExtent {
  readonly access: ExtentAccess;
  readonly sizeSectors: number;
  /** `VMFS`, `VMFSSPARSE`, `SESPARSE`, `VMFSRDM`, `VMFSRAW`, `FLAT`, `SPARSE`, `ZERO`, … (upper case). */
  readonly type: string;
  /** Relative to the descriptor's folder; undefined for a `ZERO` extent. */
  readonly fileName: string | undefined;
  readonly offsetSectors: number | undefined;
}

export interface VmdkDescriptor {
  readonly version: number;
  /** Content id, 8 hex digits, lower case. */
  readonly cid: string;
  /** `ffffffff` for a base disk; a delta's must equal its parent's CID. */
  readonly parentCid: string;
  /** `vmfs`, `vmfsSparse`, `seSparse`, `vmfsRawDeviceMap`, `vmfsPassthroughRawDeviceMap`, … as written. */
  readonly createType: string;
  readonly parentFileNameHint: string | undefined;
  readonly changeTrackPath: string | undefined;
  readonly extents: readonly VmdkExtent[];
  /** `ddb.*` values by lower-cased key. */
  readonly ddb: ReadonlyMap<string, string>;
  /** Every other header value by lower-cased key (`encoding`, `isnativesnapshot`, …). */
  readonly values: ReadonlyMap<string, string>;
  readonly isBase: boolean;
  /** `ddb.thinProvisioned = "1"`; thick disks carry no marker. */
  readonly thinProvisioned: boolean;
  /** Sum of the extents. */
  readonly capacityBytes: number;
}

const SECTOR_BYTES = 512;
/** `"6" # This field is obsolete…`: a comment after the closing quote of a value. */
const TRAILING_COMMENT = /(?<=^"[^"]*)"\s+#.*$/u;
const VERSION_LINE = /^version\s*=/iu;
const EXTENT = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"(.*)"(?:\s+(\d+))?)?$/u;
const ENTRY = /^([A-Za-z][\w.]*)\s*=\s*(.*)$/u;
const CID = /^[0-9a-fA-F]{8}$/u;

/**
 * The magic numbers of the binary files a descriptor can be mistaken for (esxi-facts 2.3; QEMU `block/vmdk.c`):
 * a hosted sparse disk carries its descriptor inside (`KDMV`, monolithicSparse and streamOptimized), a vmfsSparse
 * delta's data file starts `COWD`. Named, they tell the user what the file is instead of only that it is binary.
 * They are looked for in the bytes before anything decodes them: the grain tables that follow the magic are not
 * text in any character set, and a decoding error quoting them would hide what the file is. Such disks reach ESXi
 * as they are when one is copied to a datastore and its VM registered (a `qemu-img` disk the host then refuses
 * with "Unsupported or invalid disk type 7": QEMU issue 2086, Launchpad bug 1828508).
 */
const EMBEDDING_FORMATS: readonly [magic: string, what: string][] = [
  ["KDMV", "a sparse disk with its descriptor inside (monolithicSparse or streamOptimized, magic KDMV): a hosted product's format, which ESXi does not run as it is; convert it with vmkfstools -i"],
  ["COWD", "a COWD sparse extent (a vmfsSparse delta's data, magic COWD), not a descriptor"],
];

export function parseVmdkDescriptor(file: string | Uint8Array, source = "descriptor"): VmdkDescriptor {
  refuseBinaryDiskFormat(file, source);
  const text = typeof file === "string" ? file : decodeVmxFile(file, source);
  const lines = outputLines(text, source).filter((l) => l.text.trim() !== "");
  if (lines.length === 0) throw new HostOutputError(source, "empty file, expected a VMDK descriptor");
  const first = lines.find((l) => !l.text.trim().startsWith("#"));
  if (first === undefined || !VERSION_LINE.test(first.text.trim())) {
    throw unexpectedLine(source, "not a VMDK descriptor (expected '# Disk DescriptorFile' and 'version=' first)", first ?? (lines[0] as OutputLine));
  }
  const values = new Map<string, { value: string; line: OutputLine }>();
  const extents: VmdkExtent[] = [];
  for (const line of lines) {
    const t = line.text.trim();
    if (t.startsWith("#")) continue;
    const extent = EXTENT.exec(t);
    if (extent?.[1] !== undefined && extent[2] !== undefined && extent[3] !== undefined) {
      const type = extent[3].toUpperCase();
      if (extent[4] === undefined && type !== "ZERO") throw unexpectedLine(source, "an extent without a file name", line);
      extents.push({ access: extent[1] as ExtentAccess, sizeSectors: safeInteger(extent[2], line, source), type, fileName: extent[4], offsetSectors: extent[5] === undefined ? undefined : safeInteger(extent[5], line, source) });
      continue;
    }
    const entry = ENTRY.exec(t);
    if (entry?.[1] === undefined || entry[2] === undefined) throw unexpectedLine(source, "neither an extent nor 'key = value'", line);
    const trimmed = entry[2].trim();
    const raw = trimmed.endsWith('"') ? trimmed : trimmed.replace(TRAILING_COMMENT, '"');
    if (raw.startsWith('"') !== raw.endsWith('"') || raw === '"') throw unexpectedLine(source, "a value with an unmatched quote", line);
    const value = raw.startsWith('"') ? raw.slice(1, -1) : raw;
    const key = entry[1].toLowerCase();
    const earlier = values.get(key);
    if (earlier !== undefined && earlier.value !== value) throw unexpectedLine(source, `'${entry[1]}' is set twice with different values`, line);
    values.set(key, { value, line });
  }

  checkEncoding(lines, values, source);

  const required = (key: string, label: string): { value: string; line: OutputLine } => {
    const v = values.get(key);
    if (v === undefined) throw new HostOutputError(source, `the descriptor has no ${label}`);
    return v;
  };
  const version = required("version", "version");
  if (!/^\d+$/u.test(version.value)) throw unexpectedLine(source, "version is not a number", version.line);
  const cid = required("cid", "CID");
  const parentCid = required("parentcid", "parentCID");
  for (const v of [cid, parentCid]) if (!CID.test(v.value)) throw unexpectedLine(source, "a content id is not 8 hex digits", v.line);
  const createType = required("createtype", "createType").value;
  if (extents.length === 0) throw new HostOutputError(source, "the descriptor has no extent line");

  const ddb = new Map<string, string>();
  const others = new Map<string, string>();
  for (const [key, { value }] of values) (key.startsWith("ddb.") ? ddb : others).set(key, value);
  const capacitySectors = extents.reduce((sum, e) => sum + e.sizeSectors, 0);
  return {
    version: Number(version.value),
    cid: cid.value.toLowerCase(),
    parentCid: parentCid.value.toLowerCase(),
    createType,
    parentFileNameHint: values.get("parentfilenamehint")?.value,
    changeTrackPath: values.get("changetrackpath")?.value,
    extents,
    ddb,
    values: others,
    isBase: parentCid.value.toLowerCase() === "ffffffff",
    thinProvisioned: ddb.get("ddb.thinprovisioned") === "1",
    capacityBytes: capacitySectors * SECTOR_BYTES,
  };
}

/**
 * Throws, naming the format, when the file starts with the magic number of a binary disk format; returns when
 * it does not. Also for a file too large to be read whole, from its first bytes.
 */
export function refuseBinaryDiskFormat(file: string | Uint8Array, source: string): void {
  const start = typeof file === "string" ? file.slice(0, 4) : Buffer.from(file.buffer, file.byteOffset, Math.min(file.byteLength, 4)).toString("latin1");
  const embedding = EMBEDDING_FORMATS.find(([magic]) => start === magic);
  if (embedding !== undefined) throw new HostOutputError(source, embedding[1], { lineNumber: 1, line: embedding[0] });
}

/**
 * A descriptor's bytes are decoded in the character set it declares by `decodeVmxFile` (ESXi writes UTF-8,
 * hosted products on Windows `encoding="windows-1252"`), so the text given here is the file's text. Text
 * decoded some other way may carry U+FFFD where its bytes were not UTF-8: a file name with one would name
 * another file, or none, so such a line is refused, not guessed at.
 */
function checkEncoding(lines: readonly OutputLine[], values: ReadonlyMap<string, { value: string; line: OutputLine }>, source: string): void {
  const declared = values.get("encoding") ?? values.get("ddb.encoding");
  const utf8 = declared === undefined || /^utf-?8$/iu.test(declared.value);
  for (const line of lines) {
    if (line.text.includes("\uFFFD")) throw unexpectedLine(source, `bytes that are not UTF-8${utf8 ? "" : ` (the descriptor says encoding "${declared?.value}")`}`, line);
  }
}

function safeInteger(text: string, line: OutputLine, source: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n * SECTOR_BYTES)) throw unexpectedLine(source, "a size too large to be a disk", line);
  return n;
}
