/**
 * The Python a host ships, per release (esxi-facts §4: 7.0.3 has /lib64/python3.8; 6.5 has Python 3.5 only,
 * run as `python` — vsphere-storage-for-docker issues #666 and #1869, README; 6.7 and 8.0 are
 * [UNCONFIRMED]: 6.7 gets 3.5 like 6.5, 8.0 gets 3.8, the most conservative guess), and a check that a script meant for
 * the host parses and runs under that version's rules. The sandbox cannot run an old interpreter, so its
 * /bin/python is Debian's python3 behind a launcher (host-python-rules.ts) that reports the emulated
 * version, refuses newer syntax and hides newer modules and module functions.
 */
import { execFile } from "node:child_process";
import type { EsxiVersion } from "../config/simulator-config.js";
import { HOST_PYTHON_RULES } from "./host-python-rules.js";

/** `python -V` per release; `shell.pythonVersion` overrides. Micro versions are [UNCONFIRMED]. */
export const HOST_PYTHON_VERSIONS: Readonly<Record<EsxiVersion, string>> = { "6.7": "3.5.10", "7.0": "3.8.20", "8.0": "3.8.20" };

export interface HostPythonProblem {
  line: number;
  /** `syntax`: the old interpreter cannot parse the script; the others fail only when that line runs. */
  kind: "syntax" | "module" | "function" | "method" | "keyword";
  message: string;
}

/** The sandbox's /bin/python3: the launcher run by the real interpreter at `python3Path`. */
export function hostPythonLauncher(python3Path: string, version: string): string {
  return `#!${python3Path} -I\n${HOST_PYTHON_RULES}\nlaunch_main(${JSON.stringify(version)})\n`;
}

/**
 * Why `source` would not parse or run on a host with this ESXi release (or Python version, `3.8`), as
 * problems with line numbers; empty when it is fine. Needs Debian's python3 (3.9 or later) on this machine.
 */
export function checkHostPythonScript(source: string, target: EsxiVersion | string, options: { python3Path?: string; filename?: string } = {}): Promise<HostPythonProblem[]> {
  const version = target in HOST_PYTHON_VERSIONS ? HOST_PYTHON_VERSIONS[target as EsxiVersion] : target;
  if (!/^3\.\d+(\.\d+)?$/u.test(version)) return Promise.reject(new Error(`not an ESXi release or Python 3 version: ${JSON.stringify(target)}`));
  return new Promise((resolve, reject) => {
    const child = execFile(options.python3Path ?? "/usr/bin/python3", ["-I", "-c", `${HOST_PYTHON_RULES}\ncheck_main()\n`, version, options.filename ?? "<script>"], (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`the Python check failed: ${stderr.trim() || error.message}`));
        return;
      }
      resolve(JSON.parse(stdout) as HostPythonProblem[]);
    });
    child.stdin?.end(source);
  });
}
