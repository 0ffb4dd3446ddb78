/**
 * Whether an ESXi host runs a VM's virtual hardware version (`virtualHW.version` in its `.vmx`), decided
 * before a restore writes anything (docs/adr/0041). A host registers a `.vmx` of a newer version without a
 * word and lists the VM as invalid (`Skipping invalid VM 'N'`), which cannot be powered on: ghettoVCB #154
 * (version 14 on 6.5), packer-plugin-vmware #237 (version 19 from `vim-cmd solo/registervm` on 6.7). So a
 * restore to such a host is refused, naming the versions, instead of writing every disk for nothing. The
 * `.vmx` is never downgraded: a VM made for a version may use devices and limits an older one lacks.
 *
 * The table is each release's highest version, per update where it changes (Broadcom's vSphere Automation
 * API `Hardware.Version`, after KB 1003746; KB 2007240; docs/adr/0041 gives the sources). A host is refused
 * only when the table is sure it cannot run the VM: a release newer than the table, or an update of a
 * known release later than the table knows, may run more, and is let through to decide for itself.
 *
 * Pure: the host's `vmware -v`/`-l` and the `.vmx`'s version in; a decision out (table-tested).
 */
import { decodeVmxFile } from "../esxi/parsers/decode-vmx-file.js";
import { unexpectedLine } from "../esxi/parsers/output-lines.js";
import { readVmxDictionary } from "../esxi/parsers/vmx-dictionary.js";
import type { UnidentifiedEsxi } from "../esxi/probe/identify-esxi-release.js";
import type { EsxiVersionInfo } from "../esxi/probe/parse-vmware-version.js";

interface ReleaseHardwareVersions {
  /** `major.minor`. */
  release: string;
  /** The highest version from each update on: `[update, highest]`, by update, the first at update 0. */
  highestFromUpdate: readonly (readonly [number, number])[];
  /** The last update the table knows of: a later one may run more. */
  lastKnownUpdate: number;
}

/** Oldest release first. */
const HARDWARE_VERSIONS_BY_RELEASE: readonly ReleaseHardwareVersions[] = [
  { release: "4.0", highestFromUpdate: [[0, 7]], lastKnownUpdate: 4 },
  { release: "4.1", highestFromUpdate: [[0, 7]], lastKnownUpdate: 3 },
  { release: "5.0", highestFromUpdate: [[0, 8]], lastKnownUpdate: 3 },
  { release: "5.1", highestFromUpdate: [[0, 9]], lastKnownUpdate: 3 },
  { release: "5.5", highestFromUpdate: [[0, 10]], lastKnownUpdate: 3 },
  { release: "6.0", highestFromUpdate: [[0, 11]], lastKnownUpdate: 3 },
  { release: "6.5", highestFromUpdate: [[0, 13]], lastKnownUpdate: 3 },
  { release: "6.7", highestFromUpdate: [[0, 14], [2, 15]], lastKnownUpdate: 3 },
  { release: "7.0", highestFromUpdate: [[0, 17], [1, 18], [2, 19]], lastKnownUpdate: 3 },
  { release: "8.0", highestFromUpdate: [[0, 20], [2, 21]], lastKnownUpdate: 3 },
  // VCF/VVF 9.0 (ESX 9.0) "introduce the virtual hardware version 22" (vinfrastructure.it, 2025-06).
  { release: "9.0", highestFromUpdate: [[0, 22]], lastKnownUpdate: 0 },
];

/** The `.vmx`'s `virtualHW.version`: a number, or absent. */
export type VmxHardwareVersion = number | undefined;

export type HardwareVersionFit =
  /** The host runs it, or cannot be shown not to (`unchecked` says why, for the log). */
  | { kind: "runs"; unchecked?: string }
  | { kind: "too-new"; vmVersion: number; hostHighest: number; host: string; firstRunningIt: string | undefined };

/**
 * `virtualHW.version` of a `.vmx`'s bytes. Absent: undefined (the host then applies its own default, which
 * it runs). A value that is not a whole number is a HostOutputError quoting its line: the file is not what
 * a host writes, and its VM cannot be said to run anywhere.
 */
export function readVmxHardwareVersion(vmx: Uint8Array, source: string): VmxHardwareVersion {
  const entry = readVmxDictionary(decodeVmxFile(vmx, source), source).get("virtualhw.version");
  if (entry === undefined) return undefined;
  const text = entry.value.trim();
  if (!/^\d{1,4}$/u.test(text) || Number(text) === 0) throw unexpectedLine(source, `'${entry.key}' is not a virtual hardware version (a whole number such as 14)`, entry.line);
  return Number(text);
}

export function decideHardwareVersionFit(vmVersion: VmxHardwareVersion, esxi: EsxiVersionInfo | UnidentifiedEsxi): HardwareVersionFit {
  if (vmVersion === undefined) return { kind: "runs", unchecked: "the .vmx names no virtualHW.version; the host applies its own default" };
  if ("unidentified" in esxi) return { kind: "runs", unchecked: `the host's release could not be read (${esxi.unidentified}); the host decides whether it runs version ${vmVersion}` };
  const host = describeHost(esxi);
  const range = highestHardwareVersionRange(esxi);
  if ("unknown" in range) return { kind: "runs", unchecked: `${host}: ${range.unknown}; the host decides whether it runs version ${vmVersion}` };
  if (vmVersion <= range.least) return { kind: "runs" };
  if (vmVersion > range.most) return { kind: "too-new", vmVersion, hostHighest: range.most, host, firstRunningIt: firstReleaseRunning(vmVersion) };
  // Between what the release's first and last updates run, and the update was not printed.
  return { kind: "runs", unchecked: `${host} runs version ${range.least} or, from a later update, up to ${range.most}, and its update level is not known; the host decides whether it runs version ${vmVersion}` };
}

/** The highest version a host runs: sure (`least` = `most`), a range when its update is not known, or unknown. */
export function highestHardwareVersionRange(esxi: EsxiVersionInfo): { least: number; most: number } | { unknown: string } {
  const [major, minor, patch] = esxi.version.split(".");
  const release = `${major ?? ""}.${minor ?? ""}`;
  const known = HARDWARE_VERSIONS_BY_RELEASE.find((r) => r.release === release);
  if (known === undefined) {
    const oldest = HARDWARE_VERSIONS_BY_RELEASE[0]?.release ?? "";
    return { unknown: compareReleases(release, oldest) < 0 ? `a release older than ESXi ${oldest}` : "a release newer than those whose hardware versions are known here" };
  }
  const update = updateLevel(esxi.update, major, patch);
  const highestAt = (level: number): number => known.highestFromUpdate.filter(([from]) => from <= level).at(-1)?.[1] ?? 0;
  if (update === undefined) return { least: highestAt(0), most: highestAt(known.lastKnownUpdate) };
  if (update > known.lastKnownUpdate) {
    const last = `ESXi ${release}${known.lastKnownUpdate === 0 ? " GA" : ` Update ${known.lastKnownUpdate}`}`;
    return { unknown: `an update later than ${last}, the last whose hardware version is known here` };
  }
  return { least: highestAt(update), most: highestAt(update) };
}

/**
 * The update level: `vmware -l`'s `Update N` (`GA` is 0); without it, from 7.0 on, the third part of the
 * version (7.0.3 is 7.0 Update 3, 8.0.2 is 8.0 Update 2); 6.x always prints `6.x.0`, so there it is unknown.
 */
function updateLevel(update: string | undefined, major: string | undefined, patch: string | undefined): number | undefined {
  if (update !== undefined) return Number(update);
  if (patch !== undefined && Number(major) >= 7) return Number(patch);
  return undefined;
}

/** `ESXi 7.0 Update 1` — the first release and update that runs `version`, or undefined past the table. */
function firstReleaseRunning(version: number): string | undefined {
  for (const { release, highestFromUpdate } of HARDWARE_VERSIONS_BY_RELEASE) {
    const from = highestFromUpdate.find(([, highest]) => highest >= version);
    if (from !== undefined) return `ESXi ${release}${from[0] === 0 ? "" : ` Update ${from[0]}`}`;
  }
  return undefined;
}

function describeHost(esxi: EsxiVersionInfo): string {
  const update = esxi.update === undefined ? "" : esxi.update === "0" ? " GA" : ` Update ${esxi.update}`;
  return `ESXi ${esxi.version}${update}${esxi.build === undefined ? "" : ` (build ${esxi.build})`}`;
}

function compareReleases(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am === bm ? an - bn : am - bm;
}
