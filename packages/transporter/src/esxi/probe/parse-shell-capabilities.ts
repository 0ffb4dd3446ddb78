/**
 * What the host's shell offers the data path: the Python interpreters on PATH with their versions, which
 * busybox hash applets are linked (a missing link means `sh: sha1sum: not found`, esxi-facts §4), and what
 * the no-Python paths run besides them: `dd` and `wc`, and whether that `dd` takes `conv=notrunc`. Busybox
 * gates `conv=`, `ibs=`/`obs=` and `iflag=`/`oflag=` behind one build option (FEATURE_DD_IBS_OBS) that
 * vendors' trimmed builds turn off; such a `dd` prints its usage and exits 1 (docs/esxi-evidence.md).
 * The test copies nothing to nothing (`/dev/null`), so it changes nothing.
 *
 * The report is printed by `SHELL_CAPABILITIES_SCRIPT` (static program text, no arguments), one fact a line:
 *   python python3 Python 3.8.18
 *   applet sha256sum
 *   dd conv=notrunc
 * Python 2 prints its version on stderr, hence `2>&1`. Every test goes through ash's `command` builtin, a
 * busybox build option too (ASH_CMDCMD): without it the script says `shell no-command` and nothing could be
 * told, which is an error rather than a host that seems to have nothing. A line of any other shape is a
 * HostOutputError quoting it.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { sh } from "../ssh/shell-command.js";

export const SHELL_CAPABILITIES_SCRIPT = sh`if ! command -v sh >/dev/null 2>&1; then echo 'shell no-command'; exit 0; fi; for p in python3 python; do if command -v "$p" >/dev/null 2>&1; then printf 'python %s %s\\n' "$p" "$("$p" -V 2>&1)"; fi; done; for a in md5sum sha1sum sha256sum dd wc; do if command -v "$a" >/dev/null 2>&1; then echo "applet $a"; fi; done; if dd if=/dev/null of=/dev/null conv=notrunc 2>/dev/null; then echo 'dd conv=notrunc'; fi`;

export const HASH_APPLETS = ["md5sum", "sha1sum", "sha256sum"] as const;
export type HashApplet = (typeof HASH_APPLETS)[number];

/** The other applets the no-Python paths run (`dd` reads, hashes and writes; `wc` counts in the hashing loop). */
export interface ShellTools {
  dd: boolean;
  /** `dd … conv=notrunc` is accepted: the only way without Python to write into a file without truncating it. */
  ddNotrunc: boolean;
  wc: boolean;
}

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
  tools: ShellTools;
}

const FIELD = "shell capability report";

export function parseShellCapabilities(output: string): ShellCapabilities {
  const pythons: PythonInterpreter[] = [];
  const hashApplets: Record<HashApplet, boolean> = { md5sum: false, sha1sum: false, sha256sum: false };
  const tools: ShellTools = { dd: false, ddNotrunc: false, wc: false };
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const python = /^python (python3|python) (.*)$/u.exec(line);
    if (python !== null) {
      // `-V` output of a broken interpreter may span lines; they belong to it until the next fact.
      let text = python[2] as string;
      while (i + 1 < lines.length && !/^(python|applet|dd|shell) /u.test(lines[i + 1] as string) && (lines[i + 1] as string).trim() !== "") text += `\n${lines[++i]}`;
      pythons.push({ command: python[1] as string, version: pythonVersion(text), versionText: text.trim() });
      continue;
    }
    const applet = /^applet (\S+)$/u.exec(line);
    if (applet !== null && (HASH_APPLETS as readonly string[]).includes(applet[1] as string)) {
      hashApplets[applet[1] as HashApplet] = true;
      continue;
    }
    if (line === "applet dd" || line === "applet wc") {
      tools[line === "applet dd" ? "dd" : "wc"] = true;
      continue;
    }
    if (line === "dd conv=notrunc") {
      tools.ddNotrunc = true;
      continue;
    }
    if (line === "shell no-command") {
      throw new HostOutputError(FIELD, "the host's shell has no `command` builtin (a busybox built without ASH_CMDCMD), so which tools it has cannot be told", { lineNumber: i + 1, line });
    }
    throw new HostOutputError(FIELD, "expected 'python <command> <version>', 'applet <name>' or 'dd conv=notrunc'", { lineNumber: i + 1, line });
  }
  return { pythons, hashApplets, tools };
}

function pythonVersion(text: string): PythonInterpreter["version"] {
  const match = /^Python (\d+)\.(\d+)(?:\.(\d+))?\S*$/u.exec(text.trim());
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}
