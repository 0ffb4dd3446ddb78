/** `vmware -v` and `vmware -l` (esxi-facts 1.11 [verbatim]; `-l` on 7.0+ as real hosts print it, esxi-release.ts). */
import type { ToolResult } from "../host-tools.js";
import type { EsxiRelease } from "./esxi-release.js";

/** Flags may be combined (`vmware -vl`): one line per flag, in the order given. */
export function runVmwareVersion(release: EsxiRelease, args: readonly string[]): ToolResult {
  const lines: string[] = [];
  for (const arg of args) {
    const flags = arg === "--version" ? ["v"] : arg === "--level" ? ["l"] : /^-[vl]+$/u.test(arg) ? [...arg.slice(1)] : undefined;
    if (flags === undefined) return usage();
    for (const f of flags) {
      if (f === "v") lines.push(`VMware ESXi ${release.version} build-${release.build}`);
      else lines.push(`VMware ESXi ${release.levelVersion} ${release.update === "0" ? "GA" : `Update ${release.update}`}`);
    }
  }
  if (lines.length === 0) return usage();
  return { stdout: Buffer.from(`${lines.join("\n")}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
}

function usage(): ToolResult {
  // [UNCONFIRMED] usage text.
  return { stdout: Buffer.alloc(0), stderr: Buffer.from("Usage: vmware [-v|--version] [-l|--level]\n"), exitCode: 1 };
}
