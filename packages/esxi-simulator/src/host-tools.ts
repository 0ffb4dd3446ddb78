/**
 * The seam between the sandboxed busybox shell and the simulated host's management tools.
 *
 * Inside a host's sandbox, `/bin/vim-cmd`, `/sbin/vmkfstools`, `/bin/esxcli`, `/bin/vmware` and `/bin/df` are thin
 * clients that forward their argv and working directory to the simulator process; the simulator answers
 * through a `HostTools`, which owns the host's inventory and datastore files. Everything the tools print is
 * produced here, in the host's documented formats (../shared/reference/esxi-facts.md).
 */
export type HostToolName = "vim-cmd" | "vmkfstools" | "esxcli" | "vmware" | "df";

export const HOST_TOOL_NAMES: readonly HostToolName[] = ["vim-cmd", "vmkfstools", "esxcli", "vmware", "df"];

export interface ToolInvocation {
  tool: HostToolName;
  /** Arguments after the tool name, exactly as the shell passed them. */
  args: string[];
  /** The caller's working directory, as a path inside the sandbox (e.g. "/vmfs/volumes/datastore1/vm1"). */
  cwd: string;
}

export interface ToolResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface HostTools {
  /** Runs one tool invocation. Never throws for bad arguments: those become output and an exit code. */
  run(invocation: ToolInvocation): Promise<ToolResult>;
}
