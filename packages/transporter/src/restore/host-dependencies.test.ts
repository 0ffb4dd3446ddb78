// What a restored VM's .vmx needs of the target host, and the warnings when that host lacks it (ADR 42):
// table tests. The keys are those real .vmx files carry (esxi-facts 2.2's `ethernet0.networkName`,
// `sata0:0.deviceType = "cdrom-image"` with a /vmfs/volumes path; libvirt's esx-in-the-wild samples for
// `ethernetN.dvs.*`, `floppyN.fileType`, `serialN.fileType`; an ESXi VM with a host CD-ROM, `atapi-cdrom`).
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { findHostDependencies, hostDependencyWarnings, type HostDependency, type TargetHostFacts } from "./host-dependencies.js";

const vmx = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries).map(([key, value]) => [key.toLowerCase(), value]));

describe("findHostDependencies", () => {
  const cases: { name: string; vmx: Record<string, string>; found: HostDependency[] }[] = [
    { name: "a standard port group", vmx: { "ethernet0.present": "TRUE", "ethernet0.networkName": "VM Network" }, found: [{ kind: "port-group", device: "ethernet0", portGroup: "VM Network" }] },
    {
      name: "an NSX network",
      vmx: { "ethernet0.present": "TRUE", "ethernet0.opaqueNetwork.id": "8b1c3fd5-6f2c-4b45-bb53-3a5ad4b6a5c1", "ethernet0.opaqueNetwork.type": "nsx.LogicalSwitch" },
      found: [{ kind: "opaque-network", device: "ethernet0", networkId: "8b1c3fd5-6f2c-4b45-bb53-3a5ad4b6a5c1" }],
    },
    { name: "an adapter not present", vmx: { "ethernet1.present": "FALSE", "ethernet1.networkName": "DMZ" }, found: [] },
    {
      name: "a distributed port group (its key wins over a networkName)",
      vmx: { "ethernet0.present": "TRUE", "ethernet0.dvs.switchId": "50 2b 9a", "ethernet0.dvs.portgroupId": "dvportgroup-22", "ethernet0.networkName": "x" },
      found: [{ kind: "distributed-port-group", device: "ethernet0", portGroupKey: "dvportgroup-22" }],
    },
    {
      name: "an ISO on a datastore, one in the VM's folder, one in [DS] form, an empty drive",
      vmx: {
        "sata0:0.present": "TRUE", "sata0:0.deviceType": "cdrom-image", "sata0:0.fileName": "/vmfs/volumes/636a25ed-0b37afee-60ef-3cfdfe75e770/ISO/ubuntu.iso",
        "sata0:1.present": "TRUE", "sata0:1.deviceType": "cdrom-image", "sata0:1.fileName": "tools.iso", "sata0:1.startConnected": "FALSE",
        "ide1:0.present": "TRUE", "ide1:0.deviceType": "cdrom-image", "ide1:0.fileName": "[iso store] win/setup.iso",
        "ide1:1.present": "TRUE", "ide1:1.deviceType": "cdrom-image", "ide1:1.fileName": "emptyBackingString",
      },
      found: [
        { kind: "image", device: "sata0:0", fileName: "/vmfs/volumes/636a25ed-0b37afee-60ef-3cfdfe75e770/ISO/ubuntu.iso", hostPath: "/vmfs/volumes/636a25ed-0b37afee-60ef-3cfdfe75e770/ISO/ubuntu.iso", connectedAtPowerOn: true },
        { kind: "image", device: "sata0:1", fileName: "tools.iso", hostPath: undefined, connectedAtPowerOn: false },
        { kind: "image", device: "ide1:0", fileName: "[iso store] win/setup.iso", hostPath: "/vmfs/volumes/iso store/win/setup.iso", connectedAtPowerOn: true },
      ],
    },
    {
      name: "the host's own devices: CD-ROM, floppy drive (fileType omitted), serial port; a serial port to a file is not one",
      vmx: {
        "ide1:0.present": "TRUE", "ide1:0.deviceType": "atapi-cdrom", "ide1:0.fileName": "/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0",
        "floppy0.present": "TRUE",
        "serial0.present": "TRUE", "serial0.fileType": "device", "serial0.fileName": "/dev/char/serial/uart0", "serial0.startConnected": "FALSE",
        "serial1.present": "TRUE", "serial1.fileType": "file", "serial1.fileName": "serial.log",
        "usb.autoConnect.device0": "path:1/0/1 autoclean:1",
      },
      found: [
        { kind: "host-device", device: "ide1:0", backing: "the host's CD/DVD drive /vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0", connectedAtPowerOn: true },
        { kind: "host-device", device: "floppy0", backing: "the host's floppy device", connectedAtPowerOn: true },
        { kind: "host-device", device: "serial0", backing: "the host's serial device /dev/char/serial/uart0", connectedAtPowerOn: false },
        { kind: "host-device", device: "usb device0", backing: "the host's USB device path:1/0/1 autoclean:1", connectedAtPowerOn: true },
      ],
    },
    { name: "a floppy image", vmx: { "floppy0.present": "TRUE", "floppy0.fileType": "file", "floppy0.fileName": "/vmfs/volumes/ds2/boot.flp" }, found: [{ kind: "image", device: "floppy0", fileName: "/vmfs/volumes/ds2/boot.flp", hostPath: "/vmfs/volumes/ds2/boot.flp", connectedAtPowerOn: true }] },
    { name: "PCI passthrough", vmx: { "pciPassthru0.present": "TRUE", "pciPassthru0.id": "00000:004:00.0" }, found: [{ kind: "pci-passthrough", device: "pciPassthru0" }] },
    { name: "disks are not dependencies", vmx: { "scsi0:0.present": "TRUE", "scsi0:0.deviceType": "scsi-hardDisk", "scsi0:0.fileName": "web.vmdk" }, found: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(findHostDependencies(vmx(c.vmx)), c.found));
});

describe("hostDependencyWarnings", () => {
  const facts = (more: Partial<TargetHostFacts> = {}): TargetHostFacts => ({ portGroups: ["VM Network", "Management Network"], missingImages: new Set(), ...more });

  it("a port group the host has: nothing; one it lacks: named, with those it has", () => {
    assert.deepEqual(hostDependencyWarnings([{ kind: "port-group", device: "ethernet0", portGroup: "VM Network" }], facts()), []);
    assert.deepEqual(hostDependencyWarnings([{ kind: "port-group", device: "ethernet1", portGroup: "DMZ" }], facts()), [
      'ethernet1 is connected to port group "DMZ", which the host lacks (it has "VM Network", "Management Network"): connect the adapter to one it has in the Host Client (Edit settings, Network adapter)',
    ]);
  });

  it("port groups that could not be listed: said, with why", () => {
    assert.match(hostDependencyWarnings([{ kind: "port-group", device: "ethernet0", portGroup: "VM Network" }], facts({ portGroups: { unknown: "esxcli failed" } }))[0] ?? "", /could not be listed \(esxcli failed\): check that it has it$/u);
  });

  it("images: warned of only when missing and connected at power-on; one in the original's folder is always missing", () => {
    const iso: HostDependency = { kind: "image", device: "sata0:0", fileName: "/vmfs/volumes/a/x.iso", hostPath: "/vmfs/volumes/a/x.iso", connectedAtPowerOn: true };
    assert.deepEqual(hostDependencyWarnings([iso], facts()), []);
    assert.match(hostDependencyWarnings([iso], facts({ missingImages: new Set(["/vmfs/volumes/a/x.iso"]) }))[0] ?? "", /^sata0:0 is connected at power-on to the image \/vmfs\/volumes\/a\/x\.iso, which the host does not have: /u);
    assert.deepEqual(hostDependencyWarnings([{ ...iso, connectedAtPowerOn: false }], facts({ missingImages: new Set(["/vmfs/volumes/a/x.iso"]) })), []);
    assert.match(hostDependencyWarnings([{ kind: "image", device: "sata0:1", fileName: "tools.iso", hostPath: undefined, connectedAtPowerOn: true }], facts())[0] ?? "", /"tools\.iso" in the original VM's folder, which the restore does not bring/u);
  });

  it("host devices connected at power-on, distributed port groups, NSX networks and PCI passthrough are always warned of", () => {
    const warnings = hostDependencyWarnings(
      [
        { kind: "host-device", device: "ide1:0", backing: "the host's CD/DVD drive", connectedAtPowerOn: true },
        { kind: "host-device", device: "serial0", backing: "the host's serial device", connectedAtPowerOn: false },
        { kind: "distributed-port-group", device: "ethernet0", portGroupKey: "dvportgroup-22" },
        { kind: "opaque-network", device: "ethernet1", networkId: "8b1c" },
        { kind: "pci-passthrough", device: "pciPassthru0" },
      ],
      facts(),
    );
    assert.equal(warnings.length, 4);
    assert.match(warnings[0] ?? "", /^ide1:0 is connected at power-on to the host's CD\/DVD drive: a host without it asks at power-on/u);
    assert.match(warnings[1] ?? "", /^ethernet0 is connected to a distributed port group \(key dvportgroup-22\)/u);
    assert.match(warnings[2] ?? "", /^ethernet1 is connected to an NSX network \(id 8b1c\)/u);
    assert.match(warnings[3] ?? "", /^pciPassthru0 passes a PCI device of the original host through/u);
  });
});
