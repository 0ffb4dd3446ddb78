/**
 * Fixed paths inside a host's sandbox (the view a shell on the host has), shared by the code that builds
 * the sandbox, the namespace that mounts into it and the bridge that serves the tools.
 */
export const SANDBOX_PATH = "/bin:/sbin";
/** Where the bridge's socket directory is bind-mounted. */
export const BRIDGE_DIR_IN_SANDBOX = "/var/run/esxbackup";
export const BRIDGE_SOCKET_NAME = "tools.sock";
/** Where the simulator's own node binary is bind-mounted when it does not live under /usr. */
export const NODE_IN_SANDBOX_FALLBACK = "/opt/esxbackup/node";
/** Device nodes bound from the real /dev (whole /dev is not exposed: a root sandbox could reach disks). */
export const DEVICE_NODES = ["null", "zero", "full", "random", "urandom", "tty"] as const;
/** Where each host tool lives on ESXi (esxi-facts.md §4). */
export const TOOL_PATHS = {
  "vim-cmd": "bin/vim-cmd",
  vmkfstools: "sbin/vmkfstools",
  esxcli: "bin/esxcli",
  vmware: "bin/vmware",
  df: "bin/df",
} as const;
