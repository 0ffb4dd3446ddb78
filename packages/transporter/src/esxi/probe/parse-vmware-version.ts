/**
 * `vmware -v` / `vmware -l` (or both at once, `vmware -vl`, which may print them in either order):
 * esxi-facts 1.11 [verbatim] and public pastes of real hosts:
 *   VMware ESXi 7.0.3 build-20328353      (-v, every release: the full version)
 *   VMware ESXi 6.7.0 Update 3            (-l on 6.5 / 6.7: the full version)
 *   VMware ESXi 7.0 Update 3              (-l on 7.0 / 8.0: only major.minor)
 *   VMware ESXi 8.0 GA                    (-l on a release without updates)
 * ESX 9.0 renamed the product "VMware ESX" and numbers its releases X.Y.Z.A (9.0.0.0100: an express patch;
 * Broadcom KB 395110): both the name and a fourth part are accepted (its `esxcli system version get` still
 * says `Product: VMware ESXi`, `Version: 9.0.0`, public 9.0 transcripts).
 * So the `-l` line may name fewer parts than the `-v` line; the two must agree on the parts both print.
 * Blank lines, surrounding blanks and CRs are ignored; any other line, or one that contradicts another, is a
 * HostOutputError quoting it.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { outputLines, unexpectedLine } from "../parsers/output-lines.js";
import type { EsxiVersion } from "@esxbackup/domain";

export interface EsxiVersionInfo {
  /** `6.7.0`, `7.0.3`, `9.0.0.0100`, … from `vmware -v`; only `8.0` when nothing but a 7.0+ `vmware -l` line was printed. */
  version: string;
  /** `20328353` (from `vmware -v`), when printed. */
  build: string | undefined;
  /** `3` for `Update 3`, `0` for `GA`, when printed. */
  update: string | undefined;
  /** The release line we support (6.7, 7.0, 8.0), or undefined for any other. */
  release: EsxiVersion | undefined;
}

const SOURCE = "vmware -vl output";
const VERSION_LINE = /^VMware ESXi? (\d+\.\d+\.\d+(?:\.\d+)?) build-(\d+)$/u;
const LEVEL_LINE = /^VMware ESXi? (\d+\.\d+(?:\.\d+)?) (?:Update (\d+)|(GA))$/u;

export function parseVmwareVersion(output: string): EsxiVersionInfo {
  let version: string | undefined;
  let build: string | undefined;
  let update: string | undefined;
  for (const line of outputLines(output, SOURCE)) {
    const text = line.text.trim();
    if (text === "") continue;
    const v = VERSION_LINE.exec(text);
    const l = v === null ? LEVEL_LINE.exec(text) : null;
    if (v === null && l === null) throw unexpectedLine(SOURCE, "expected 'VMware ESXi <version> build-<n>' or 'VMware ESXi <version> Update <n>|GA'", line);
    const lineVersion = (v ?? l)?.[1] as string;
    if (version !== undefined && !sameVersion(version, lineVersion)) throw unexpectedLine(SOURCE, `names another version than ${version}`, line);
    // Keep the version with the most parts: `7.0.3` from -v over `7.0` from a 7.0+ -l.
    if (version === undefined || lineVersion.split(".").length > version.split(".").length) version = lineVersion;
    const lineBuild = v?.[2];
    const lineUpdate = l === null ? undefined : (l[2] ?? "0");
    if ((lineBuild !== undefined && build !== undefined && lineBuild !== build) || (lineUpdate !== undefined && update !== undefined && lineUpdate !== update)) {
      throw unexpectedLine(SOURCE, "contradicts an earlier line", line);
    }
    build ??= lineBuild;
    update ??= lineUpdate;
  }
  if (version === undefined) throw new HostOutputError(SOURCE, "empty: no `VMware ESXi …` line");
  return { version, build, update, release: releaseOf(version) };
}

/** Whether two versions agree on every part both name (`7.0` and `7.0.3` do, `7.0` and `8.0.0` do not). */
function sameVersion(a: string, b: string): boolean {
  const as = a.split(".");
  const bs = b.split(".");
  return as.slice(0, bs.length).join(".") === bs.slice(0, as.length).join(".");
}

function releaseOf(version: string): EsxiVersion | undefined {
  const line = version.split(".").slice(0, 2).join(".");
  return line === "6.7" || line === "7.0" || line === "8.0" ? line : undefined;
}
