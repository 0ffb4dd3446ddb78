/**
 * `esxcli system version get` and `esxcli storage filesystem list` (esxi-facts 1.11). The version fields
 * are indented 3 spaces [verbatim]. The filesystem table follows the [derived] rule: columns joined by 2
 * spaces, width = longest value or header, a dash line under the header, `Mounted`, `Size` and `Free`
 * right-aligned (headers too), the other columns left-aligned.
 */
import type { ToolResult } from "../host-tools.js";
import type { PortGroupConfig } from "../config/simulator-config.js";
import type { EsxiRelease } from "./esxi-release.js";

export interface FilesystemRow {
  mountPoint: string;
  volumeName: string;
  uuid: string;
  mounted: boolean;
  type: string;
  sizeBytes: number;
  freeBytes: number;
}

export function renderSystemVersionGet(release: EsxiRelease): string {
  return [
    "   Product: VMware ESXi",
    `   Version: ${release.version}`,
    `   Build: Releasebuild-${release.build}`,
    `   Update: ${release.update}`,
    `   Patch: ${release.patch}`,
    "",
  ].join("\n");
}

/** `esxcli system hostname get`: three fields indented 3 spaces like `system version get` [UNCONFIRMED]. */
export function renderHostnameGet(fqdn: string): string {
  const [host = fqdn, ...domain] = fqdn.split(".");
  return [`   Domain Name: ${domain.join(".")}`, `   Fully Qualified Domain Name: ${fqdn}`, `   Host Name: ${host}`, ""].join("\n");
}

export function renderFilesystemList(rows: readonly FilesystemRow[]): string {
  const headers = ["Mount Point", "Volume Name", "UUID", "Mounted", "Type", "Size", "Free"];
  const right = [false, false, false, true, false, true, true];
  return renderEsxcliTable(headers, right, rows.map((r) => [r.mountPoint, r.volumeName, r.uuid, String(r.mounted), r.type, String(r.sizeBytes), String(r.freeBytes)]));
}

/**
 * `esxcli network vswitch standard portgroup list`, laid out as the sample a public Vagrant ESXi plugin
 * quotes (numbers right-aligned). Active clients: 1 on `Management Network` (vmk0), else 0 [UNCONFIRMED].
 */
export function renderPortGroupList(portGroups: readonly PortGroupConfig[]): string {
  const cells = portGroups.map((pg) => [pg.name, pg.virtualSwitch, pg.name === "Management Network" ? "1" : "0", String(pg.vlanId)]);
  return renderEsxcliTable(["Name", "Virtual Switch", "Active Clients", "VLAN ID"], [false, false, true, true], cells);
}

/** esxcli's table ([derived]): columns joined by 2 spaces, width = longest value or header, a dash line under the header. */
function renderEsxcliTable(headers: readonly string[], right: readonly boolean[], cells: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => [...(c[i] ?? "")].length)));
  const fmt = (v: string, i: number): string => {
    const w = widths[i] ?? 0;
    const fill = " ".repeat(Math.max(0, w - [...v].length));
    return right[i] === true ? fill + v : v + fill;
  };
  const lines = [headers.map(fmt).join("  "), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map((c) => c.map(fmt).join("  "))];
  return `${lines.join("\n")}\n`;
}

const USAGE_ROOT = `Usage: esxcli [options] {namespace}+ {cmd} [cmd options]

Options:
  --formatter=FORMATTER
                        Override the formatter to use for a given command. Available formatter: xml, csv, keyvalue
  --debug               Enable debug or internal use options
  --version             Display version information for the script
  -?, --help            Display usage information for the script

Available Namespaces:
  device                Device manager commands
  esxcli                Commands that operate on the esxcli system itself allowing users to get additional information.
  fcoe                  VMware FCOE commands.
  graphics              VMware graphics commands.
  hardware              VMKernel hardware properties and commands for configuring hardware.
  iscsi                 VMware iSCSI commands.
  network               Operations that pertain to the maintenance of networking on an ESX host. This includes a wide variety of commands to manipulate virtual networking components (vswitch, portgroup, etc) as well as local host IP, DNS and general host networking settings.
  nvme                  VMware NVMe driver esxcli extensions
  rdma                  Operations that pertain to remote direct memory access (RDMA) protocol stack on an ESX host.
  sched                 VMKernel system properties and commands for configuring scheduling related functionality.
  software              Manage the ESXi software image and packages
  storage               VMware storage commands.
  system                VMKernel system properties and commands for configuring properties of the kernel core system and related system services.
  vm                    A small number of operations that allow a user to Control Virtual Machine operations.
  vsan                  VMware vSAN commands.
`;

/** Runs the supported esxcli commands; anything else gets the namespace usage ([UNCONFIRMED] text). */
export function runEsxcli(release: EsxiRelease, filesystems: () => FilesystemRow[], args: readonly string[], hostName = "localhost", portGroups: readonly PortGroupConfig[] = []): ToolResult {
  const words = args.filter((a) => !a.startsWith("-"));
  const key = words.join(" ");
  const ok = (text: string): ToolResult => ({ stdout: Buffer.from(text), stderr: Buffer.alloc(0), exitCode: 0 });
  if (key === "system version get") return ok(renderSystemVersionGet(release));
  if (key === "storage filesystem list") return ok(renderFilesystemList(filesystems()));
  if (key === "system hostname get") return ok(renderHostnameGet(hostName));
  if (key === "network vswitch standard portgroup list") return ok(renderPortGroupList(portGroups));
  if (words.length === 0) return ok(USAGE_ROOT);
  return { stdout: Buffer.from(`Error: Unknown command or namespace ${key}\n`), stderr: Buffer.alloc(0), exitCode: 1 };
}
