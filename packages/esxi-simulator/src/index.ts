/**
 * @esxbackup/esxi-simulator — a fake stock free-licence ESXi host: an SSH server with ESXi's settings, a
 * busybox shell in a sandbox laid out like ESXi, vim-cmd / vmkfstools / esxcli with the host's own output
 * formats, datastores with real VMDK files, snapshots, and VMs that keep writing. Tests and the quick start
 * use it; its value is its fidelity to ../shared/reference/esxi-facts.md.
 */
export const ESXI_SIMULATOR_PACKAGE = "@esxbackup/esxi-simulator";
