/**
 * What the host's shell offers for hashing disks: the Python interpreters on PATH with their versions, and
 * which busybox hash applets are linked (a missing link means `sh: sha1sum: not found`, esxi-facts §4).
 * The report is printed by `SHELL_CAPABILITIES_SCRIPT` (static program text, no arguments), one fact a line:
 *   python python3 Python 3.8.18
 *   applet sha256sum
 * Python 2 prints its version on stderr, hence `2>&1`. A line of any other shape is a HostOutputError quoting it.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { sh } from "../ssh/shell-command.js";

export const SHELL_CAPABILITIES_SCRIPT = sh`for p in python3 python; do if command -v "$p" >/dev/null 2>&1; then printf 'python %s %s\\n' "$p" "$("$p" -V 2>&1)"; fi; done; for a in md5sum sha1sum sha256sum; do if command -v "$a" >/dev/null 2>&1; then echo "applet $a"; fi; done`;

export const HASH_APPLETS = ["md5sum", "sha1sum", "sha256sum"] as const;
export type HashApplet = (typeof HASH_APPLETS)[number];

export interface PythonInterpreter {
  /** `python3` or `python`: the name to run it by. */
  command: string;
  /** Undefined when `-V` did not print a version (a broken interpreter: not usable). */
  version: { major: number; minor: number; patch: number } | undefined;
  /** What `-V` printed. */
  versionText: string;
}

export interface ShellCapabilities {
  pythons: PythonInterpreter[];
  hashApplets: Record<HashApplet, boolean>;
}

const FIELD = "shell capability report";

export function parseShellCapabilities(output: string): ShellCapabilities {
  const pythons: PythonInterpreter[] = [];
  const hashApplets: Record<HashApplet, boolean> = { md5sum: false, sha1sum: false, sha256sum: false };
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const python = /^python (python3|python) (.*)$/u.exec(line);
    if (python !== null) {
      // `-V` output of a broken interpreter may span lines; they belong to it until the next fact.
      let text = python[2] as string;
      while (i + 1 < lines.length && !/^(python|applet) /u.test(lines[i + 1] as string) && (lines[i + 1] as string).trim() !== "") text += `\n${lines[++i]}`;
      pythons.push({ command: python[1] as string, version: pythonVersion(text), versionText: text.trim() });
      continue;
    }
    const applet = /^applet (\S+)$/u.exec(line);
    if (applet !== null && (HASH_APPLETS as readonly string[]).includes(applet[1] as string)) {
      hashApplets[applet[1] as HashApplet] = true;
      continue;
    }
    throw new HostOutputError(FIELD, "expected 'python <command> <version>' or 'applet <name>'", { lineNumber: i + 1, line });
  }
  return { pythons, hashApplets };
}

function pythonVersion(text: string): PythonInterpreter["version"] {
  const match = /^Python (\d+)\.(\d+)(?:\.(\d+))?\S*$/u.exec(text.trim());
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}
