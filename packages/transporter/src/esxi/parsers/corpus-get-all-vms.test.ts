// Captures of `vim-cmd vmsvc/getallvms` from real hosts, found in public material (fixtures/corpus, sources in
// fixtures/corpus/SOURCES.md): every row must come out with its vmid, name, datastore, path and version.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { parseGetAllVms } from "./parse-get-all-vms.js";

type Expected = [vmid: string, name: string, datastore: string, vmxPath: string, guestOs: string, version: string];

const corpus: [file: string, rows: Expected[], skipped?: string[]][] = [
  [
    "getallvms-5.x-padded-transverse-verbatim.txt",
    [
      ["13", "xpenology-3810-esxi-1.1", "Transverse", "xpenology-3810-esxi/xpenology-3810-esxi.vmx", "other26xLinux64Guest", "vmx-09"],
      ["14", "xpenology-3810-esxi-1.1-test", "Transverse", "xpenology-3810-esxi-test/xpenology-3810-esxi-test.vmx", "other26xLinux64Guest", "vmx-09"],
      ["15", "xpenology-dsm5b-test", "Transverse", "xpenology-dsm5-test/xpenology-dsm5-test.vmx", "other26xLinux64Guest", "vmx-09"],
      ["4", "xubuntu-neo", "Transverse", "xubuntu-neo/xubuntu-neo.vmx", "ubuntu64Guest", "vmx-08"],
    ],
  ],
  [
    "getallvms-5.x-crlf-verbatim.txt",
    [
      ["1", "reverse.xs4n1.nl", "storage1", "reverse.xs4n1.nl/reverse.xs4n1.nl.vmx", "other26xLinux64Guest", "vmx-07"],
      ["10", "app.xs4n1.nl", "storage1", "app.xs4n1.nl/app.xs4n1.nl.vmx", "otherLinux64Guest", "vmx-08"],
      ["17", "puppet.xs4n1.nl", "storage1", "puppet.xs4n1.nl/puppet.xs4n1.nl.vmx", "debian6_64Guest", "vmx-08"],
      ["2", "radius.xs4n1.nl", "storage1", "radius.xs4n1.nl/radius.xs4n1.nl.vmx", "centos64Guest", "vmx-07"],
      ["3", "vpn.xs4n1.nl", "storage1", "vpn.xs4n1.nl/vpn.xs4n1.nl.vmx", "other26xLinux64Guest", "vmx-07"],
      ["4", "dns.xs4n1.nl", "storage1", "dns.xs4n1.nl/dns.xs4n1.nl.vmx", "otherLinux64Guest", "vmx-09"],
      ["5", "dc.xs4n1.nl", "storage1", "dc.xs4n1.nl/dc.xs4n1.nl.vmx", "windows7Server64Guest", "vmx-07"],
    ],
  ],
  [
    "getallvms-5.x-colon-datastore-verbatim.txt",
    [["40", "packer-vmware-iso", "wtgc-vmbd-01:datastore1", "packer-vmware-iso/packer-vmware-iso.vmx", "ubuntu64Guest", "vmx-08"]],
  ],
  [
    "getallvms-5.x-vmids-as-strings-verbatim.txt",
    [
      ["112", "mono-asp-net-vnext-ubuntu-s-14_0", "datastore2_maxtor_120GB", "mono-asp-net-vnext-ubuntu-s-14_0/mono-asp-net-vnext-ubuntu-s-14_0.vmx", "ubuntuGuest", "vmx-07"],
      ["128", "mono-asp-net-vnext-debian-7_5", "datastore2_maxtor_120GB", "mono-asp-net-vnext-debian-7_5/mono-asp-net-vnext-debian-7_5.vmx", "debian5Guest", "vmx-07"],
      ["144", "mono-asp-net-vnext-suse-13_1", "datastore2_maxtor_120GB", "mono-asp-net-vnext-suse-13_1/mono-asp-net-vnext-suse-13_1.vmx", "sles11Guest", "vmx-07"],
      ["80", "mono-asp-net-vnext-centos-6_5", "datastore2_maxtor_120GB", "mono-asp-net-vnext-centos-6_5/mono-asp-net-vnext-centos-6_5.vmx", "centosGuest", "vmx-07"],
      ["96", "test-services-centos-6_5", "datastore2_maxtor_120GB", "test-services-centos-6_5/test-services-centos-6_5.vmx", "centosGuest", "vmx-07"],
    ],
  ],
  [
    "getallvms-6.5-playground-verbatim.txt",
    [
      ["10", "centos-00", "vs-00-das", "centos-00/centos-00.vmx", "centos7_64Guest", "vmx-13"],
      ["11", "centos-01", "vs-00-das", "centos-01/centos-01.vmx", "centos7_64Guest", "vmx-13"],
      ["20", "centos-02", "vs-00-das", "centos-02/centos-02.vmx", "centos7_64Guest", "vmx-11"],
      ["21", "repo-00", "vs-00-das", "repo-00/repo-00.vmx", "centos7_64Guest", "vmx-11"],
      ["6", "firewall-00", "vs-00-das", "firewall-00/firewall-00.vmx", "freebsd64Guest", "vmx-13"],
      ["8", "smos-00", "vs-00-das", "smos-00/smos-00.vmx", "solaris11_64Guest", "vmx-13"],
      ["9", "smos-01", "vs-00-das", "smos-01/smos-01.vmx", "solaris11_64Guest", "vmx-13"],
    ],
  ],
  [
    "getallvms-6.5-skipping-invalid-verbatim.txt",
    [
      ["1", "ubuntu-desktop", "HDD", "ubuntu-desktop/ubuntu-desktop.vmx", "ubuntu64Guest", "vmx-13"],
      ["11", "ubuntu-server-1710", "HDD", "ubuntu-server-1710/ubuntu-server-1710.vmx", "ubuntu64Guest", "vmx-13"],
      ["2", "ubuntu-server", "HDD", "ubuntu-server/ubuntu-server.vmx", "ubuntu64Guest", "vmx-13"],
      ["3", "windows-7", "HDD", "windows-7/windows-7.vmx", "windows7_64Guest", "vmx-13"],
    ],
    ["6"],
  ],
  [
    "getallvms-6.x-padded-verbatim.txt",
    [
      ["1", "IB-ClearOS-112", "datastore1", "IB-ClearOS-112/IB-ClearOS-112.vmx", "centos64Guest", "vmx-10"],
      ["10", "namearg", "VM-namearg-ds", "namearg/namearg.vmx", "freebsd64Guest", "vmx-13"],
      ["11", "Backup-Proxy-Host", "VM-FreeNAS-ds", "Backup-Proxy-Host/Backup-Proxy-Host.vmx", "centos7_64Guest", "vmx-14"],
    ],
  ],
];

for (const [file, rows, skipped = []] of corpus) {
  test(`getallvms corpus: ${file}`, () => {
    const { vms, skippedVmids } = parseGetAllVms(fixtureText(`corpus/${file}`), file);
    assert.deepEqual(
      vms.map((vm) => [vm.vmid, vm.name, vm.datastore, vm.vmxPath, vm.guestOs, vm.version, vm.annotation]),
      rows.map((row) => [...row, ""]),
    );
    for (const vm of vms) assert.equal(vm.file, `[${vm.datastore}] ${vm.vmxPath}`);
    assert.deepEqual(skippedVmids, skipped);
  });
}
