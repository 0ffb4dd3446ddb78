/**
 * `vmware -v` / `vmware -l` (or both at once, `vmware -vl`): esxi-facts 1.11 [verbatim]
 *   VMware ESXi 7.0.3 build-20328353
 *   VMware ESXi 6.7.0 Update 3
 * The `-l` line says `GA` for a release without updates [UNCONFIRMED wording, accepted]. Blank lines and
 * surrounding blanks are ignored; any other line is an error that quotes it.
 */
import { InvalidInputError } from "@esxbackup/domain";
import type { EsxiVersion } from "@esxbackup/domain";

export interface EsxiVersionInfo {
  /** `6.7.0`, `7.0.3`, … */
  version: string;
  /** `20328353` (from `vmware -v`), when printed. */
  build: string | undefined;
  /** `3` for `Update 3`, `0` for `GA`, when printed. */
  update: string | undefined;
  /** The release line we support (6.7, 7.0, 8.0), or undefined for any other. */
  release: EsxiVersion | undefined;
}

const VERSION_LINE = /^VMware ESXi (\d+\.\d+\.\d+) build-(\d+)$/u;
const LEVEL_LINE = /^VMware ESXi (\d+\.\d+\.\d+) (?:Update (\d+)|(GA))$/u;

export function parseVmwareVersion(output: string): EsxiVersionInfo {
  let version: string | undefined;
  let build: string | undefined;
  let update: string | undefined;
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const v = VERSION_LINE.exec(line);
    const l = v === null ? LEVEL_LINE.exec(line) : null;
    if (v === null && l === null) throw new InvalidInputError("vmware -vl output", `unexpected line ${JSON.stringify(raw)}`);
    const lineVersion = (v ?? l)?.[1] as string;
    if (version !== undefined && version !== lineVersion) throw new InvalidInputError("vmware -vl output", `line ${JSON.stringify(raw)} names another version than ${version}`);
    version = lineVersion;
    if (v !== null) build = v[2];
    if (l !== null) update = l[2] ?? "0";
  }
  if (version === undefined) throw new InvalidInputError("vmware -vl output", "empty: no `VMware ESXi …` line");
  return { version, build, update, release: releaseOf(version) };
}

function releaseOf(version: string): EsxiVersion | undefined {
  const line = version.split(".").slice(0, 2).join(".");
  return line === "6.7" || line === "7.0" || line === "8.0" ? line : undefined;
}
