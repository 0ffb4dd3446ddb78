/**
 * The ESXi releases esxbackup knows how to talk to. Their behaviours differ in SSH algorithms, tool
 * output and snapshot files; the simulator reproduces each of them.
 */
export const ESXI_VERSIONS = ["6.7", "7.0", "8.0"] as const;
export type EsxiVersion = (typeof ESXI_VERSIONS)[number];
