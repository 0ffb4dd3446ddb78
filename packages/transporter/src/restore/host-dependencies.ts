/**
 * What a restored VM's `.vmx` needs of the host it is restored to beyond its own folder, and what to tell
 * the user about what that host lacks (docs/adr/0042). A restore to another host is as common as one to
 * the same host (the original died), and the original's `.vmx` names things of the original's host:
 *
 * - the standard port group of each adapter (`ethernetN.networkName`), or a distributed one
 *   (`ethernetN.dvs.portgroupId`, which only a host its vCenter manages has), or an NSX network
 *   (`ethernetN.opaqueNetwork.id`);
 * - CD/DVD and floppy images on a datastore (`cdrom-image`, `floppyN.fileType = "file"`): a path on
 *   another datastore, or in the original's folder (a relative name: the restore does not bring it);
 * - devices of the host itself: a CD/DVD drive (`atapi-cdrom`, `cdrom-raw`), a floppy drive, a serial or
 *   parallel port (`fileType = "device"`), USB devices connected automatically (`usb.autoConnect.deviceN`),
 *   PCI devices passed through (`pciPassthruN`).
 *
 * Registration never depends on these; only the power-on does. None is refused: the data is what the user
 * restores for, and every power-on outcome is reported (a fault, a question quoted, or a device the host
 * leaves disconnected). Each one the host lacks, or may lack, is warned of before anything is written.
 *
 * Pure: the `.vmx`'s values and what the host said in, words out (table-tested).
 */

export type HostDependency =
  | { kind: "port-group"; device: string; portGroup: string }
  | { kind: "distributed-port-group"; device: string; portGroupKey: string }
  /** An NSX network (`ethernetN.opaqueNetwork.id`), which only a host its NSX manager prepared has. */
  | { kind: "opaque-network"; device: string; networkId: string }
  /** `hostPath`: where the host would find it; undefined for a name relative to the original's folder. */
  | { kind: "image"; device: string; fileName: string; hostPath: string | undefined; connectedAtPowerOn: boolean }
  | { kind: "host-device"; device: string; backing: string; connectedAtPowerOn: boolean }
  | { kind: "pci-passthrough"; device: string };

/** What the target host said about the dependencies, read just before writing. */
export interface TargetHostFacts {
  /** Its standard port groups, or why they could not be listed. */
  portGroups: readonly string[] | { unknown: string };
  /** Image paths (`hostPath`) the host does not have. */
  missingImages: ReadonlySet<string>;
}

const TRUE = /^(true|yes|1)$/iu;

/** The host dependencies of a `.vmx`, in file order; `vmx`: its values by lower-cased key (`ParsedVmx.values`). */
export function findHostDependencies(vmx: ReadonlyMap<string, string>): HostDependency[] {
  const present = (device: string): boolean => TRUE.test(vmx.get(`${device}.present`) ?? "");
  const connectedAtPowerOn = (device: string): boolean => !/^(false|no|0)$/iu.test(vmx.get(`${device}.startconnected`) ?? "");
  const found: HostDependency[] = [];
  for (const [key, value] of vmx) {
    const adapter = /^(ethernet\d+)\.present$/u.exec(key)?.[1];
    if (adapter !== undefined && present(adapter)) {
      const portGroupKey = vmx.get(`${adapter}.dvs.portgroupid`);
      const opaqueNetwork = vmx.get(`${adapter}.opaquenetwork.id`);
      const portGroup = vmx.get(`${adapter}.networkname`);
      if (portGroupKey !== undefined && portGroupKey !== "") found.push({ kind: "distributed-port-group", device: adapter, portGroupKey });
      else if (opaqueNetwork !== undefined && opaqueNetwork !== "") found.push({ kind: "opaque-network", device: adapter, networkId: opaqueNetwork });
      else if (portGroup !== undefined && portGroup !== "") found.push({ kind: "port-group", device: adapter, portGroup });
      continue;
    }
    const slot = /^((?:ide|sata|scsi)\d+:\d+)\.devicetype$/u.exec(key)?.[1];
    if (slot !== undefined && present(slot)) {
      const fileName = vmx.get(`${slot}.filename`) ?? "";
      if (/^cdrom-image$/iu.test(value)) pushImage(found, slot, fileName, connectedAtPowerOn(slot));
      else if (/^(atapi-cdrom|cdrom-raw)$/iu.test(value)) found.push({ kind: "host-device", device: slot, backing: `the host's CD/DVD drive${fileName === "" ? "" : ` ${fileName}`}`, connectedAtPowerOn: connectedAtPowerOn(slot) });
      continue;
    }
    const port = /^((?:floppy|serial|parallel)\d+)\.present$/u.exec(key)?.[1];
    if (port !== undefined && present(port)) {
      const fileType = (vmx.get(`${port}.filetype`) ?? (port.startsWith("floppy") ? "device" : "")).toLowerCase();
      const fileName = vmx.get(`${port}.filename`) ?? "";
      if (port.startsWith("floppy") && fileType === "file") pushImage(found, port, fileName, connectedAtPowerOn(port));
      else if (fileType === "device") found.push({ kind: "host-device", device: port, backing: `the host's ${port.replace(/\d+$/u, "")} device${fileName === "" ? "" : ` ${fileName}`}`, connectedAtPowerOn: connectedAtPowerOn(port) });
      continue;
    }
    if (/^usb\.autoconnect\.device\d+$/u.test(key) && value !== "") {
      found.push({ kind: "host-device", device: key.replace(/^usb\.autoconnect\./u, "usb "), backing: `the host's USB device ${value}`, connectedAtPowerOn: true });
      continue;
    }
    const passthrough = /^(pcipassthru\d+)\.present$/u.exec(key)?.[1];
    if (passthrough !== undefined && present(passthrough)) found.push({ kind: "pci-passthrough", device: passthrough.replace(/^pcipassthru/u, "pciPassthru") });
  }
  return found;
}

function pushImage(found: HostDependency[], device: string, fileName: string, connected: boolean): void {
  if (fileName === "" || /^emptyBackingString$/iu.test(fileName)) return;
  found.push({ kind: "image", device, fileName, hostPath: imageHostPath(fileName), connectedAtPowerOn: connected });
}

/** `/vmfs/volumes/…` as is, `[DS] path` as `/vmfs/volumes/DS/path`, a relative name undefined (the original's folder). */
function imageHostPath(fileName: string): string | undefined {
  if (fileName.startsWith("/")) return fileName;
  const bracketed = /^\[([^\]]+)\]\s*(.+)$/u.exec(fileName);
  return bracketed?.[1] === undefined || bracketed[2] === undefined ? undefined : `/vmfs/volumes/${bracketed[1]}/${bracketed[2]}`;
}

/** What of `dependencies` the host lacks, or may lack, each in words saying what happens and what to do. */
export function hostDependencyWarnings(dependencies: readonly HostDependency[], facts: TargetHostFacts): string[] {
  const warnings: string[] = [];
  const hostPortGroups = Array.isArray(facts.portGroups) ? (facts.portGroups as readonly string[]) : undefined;
  const theirList = hostPortGroups === undefined || hostPortGroups.length === 0 ? "" : ` (it has ${hostPortGroups.map((name) => JSON.stringify(name)).join(", ")})`;
  for (const dependency of dependencies) {
    switch (dependency.kind) {
      case "port-group":
        if (hostPortGroups === undefined) {
          warnings.push(`${dependency.device} is connected to port group ${JSON.stringify(dependency.portGroup)}, and the host's port groups could not be listed (${(facts.portGroups as { unknown: string }).unknown}): check that it has it`);
        } else if (!hostPortGroups.includes(dependency.portGroup)) {
          warnings.push(`${dependency.device} is connected to port group ${JSON.stringify(dependency.portGroup)}, which the host lacks${theirList}: connect the adapter to one it has in the Host Client (Edit settings, Network adapter)`);
        }
        break;
      case "distributed-port-group":
        warnings.push(`${dependency.device} is connected to a distributed port group (key ${dependency.portGroupKey}), which only a host managed by that switch's vCenter has: connect it to a standard port group${theirList} in the Host Client (Edit settings, Network adapter)`);
        break;
      case "opaque-network":
        warnings.push(`${dependency.device} is connected to an NSX network (id ${dependency.networkId}), which only a host its NSX manager prepared has: connect it to a standard port group${theirList} in the Host Client (Edit settings, Network adapter)`);
        break;
      case "image": {
        const missing = dependency.hostPath === undefined || facts.missingImages.has(dependency.hostPath);
        if (!missing || !dependency.connectedAtPowerOn) break;
        const where = dependency.hostPath === undefined ? `${JSON.stringify(dependency.fileName)} in the original VM's folder, which the restore does not bring` : `${dependency.hostPath}, which the host does not have`;
        warnings.push(`${dependency.device} is connected at power-on to the image ${where}: the power-on may fail or leave it disconnected; point it at an image the host has, or clear "Connect at power on", in the Host Client`);
        break;
      }
      case "host-device":
        if (!dependency.connectedAtPowerOn) break;
        warnings.push(`${dependency.device} is connected at power-on to ${dependency.backing}: a host without it asks at power-on whether to keep trying (a question the restore does not answer for you); remove the device or clear "Connect at power on" in the Host Client if the host has none`);
        break;
      case "pci-passthrough":
        warnings.push(`${dependency.device} passes a PCI device of the original host through: a host without that very device refuses to power the VM on; remove it in the Host Client (Edit settings) if this is another host`);
        break;
    }
  }
  return warnings;
}
