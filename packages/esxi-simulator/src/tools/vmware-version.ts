/** `vmware -v` and `vmware -l` (esxi-facts 1.11 [verbatim]). */
import type { ToolResult } from "../host-tools.js";
import type { EsxiRelease } from "./esxi-release.js";

export function runVmwareVersion(release: EsxiRelease, args: readonly string[]): ToolResult {
  const flag = args[0];
  if (flag === "-v" || flag === "--version") {
    return { stdout: Buffer.from(`VMware ESXi ${release.version} build-${release.build}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
  }
  if (flag === "-l" || flag === "--level") {
    const update = release.update === "0" ? "GA" : `Update ${release.update}`;
    return { stdout: Buffer.from(`VMware ESXi ${release.version} ${update}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
  }
  // [UNCONFIRMED] usage text.
  return { stdout: Buffer.alloc(0), stderr: Buffer.from("Usage: vmware [-v|--version] [-l|--level]\n"), exitCode: 1 };
}
