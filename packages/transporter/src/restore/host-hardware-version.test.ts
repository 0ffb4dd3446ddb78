// Table tests of whether a host runs a VM's virtual hardware version (docs/adr/0041): each release and
// update where the highest changes, hosts whose update level was not printed, releases newer or older than
// the table, a .vmx without the key, and values that are not a version.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { HostOutputError } from "../esxi/parsers/host-output-error.js";
import { parseVmwareVersion } from "../esxi/probe/parse-vmware-version.js";
import { decideHardwareVersionFit, highestHardwareVersionRange, readVmxHardwareVersion } from "./host-hardware-version.js";

/** A host as the probe reads it, from what `vmware -v && vmware -l` prints. */
const host = (output: string): ReturnType<typeof parseVmwareVersion> => parseVmwareVersion(output);

describe("highestHardwareVersionRange", () => {
  const table: [string, string, number | { least: number; most: number } | RegExp][] = [
    ["6.0 U3", "VMware ESXi 6.0.0 build-5050593\nVMware ESXi 6.0.0 Update 3\n", 11],
    ["6.5 GA", "VMware ESXi 6.5.0 build-4564106\nVMware ESXi 6.5.0 GA\n", 13],
    ["6.5 U3", "VMware ESXi 6.5.0 build-14320405\nVMware ESXi 6.5.0 Update 3\n", 13],
    ["6.7 GA", "VMware ESXi 6.7.0 build-8169922\nVMware ESXi 6.7.0 GA\n", 14],
    ["6.7 U1", "VMware ESXi 6.7.0 build-10302608\nVMware ESXi 6.7.0 Update 1\n", 14],
    ["6.7 U2", "VMware ESXi 6.7.0 build-13006603\nVMware ESXi 6.7.0 Update 2\n", 15],
    ["6.7 U3", "VMware ESXi 6.7.0 build-14320388\nVMware ESXi 6.7.0 Update 3\n", 15],
    ["7.0 GA", "VMware ESXi 7.0.0 build-15843807\nVMware ESXi 7.0 GA\n", 17],
    ["7.0 U1", "VMware ESXi 7.0.1 build-16850804\nVMware ESXi 7.0 Update 1\n", 18],
    ["7.0 U2", "VMware ESXi 7.0.2 build-17630552\nVMware ESXi 7.0 Update 2\n", 19],
    ["7.0 U3", "VMware ESXi 7.0.3 build-20328353\nVMware ESXi 7.0 Update 3\n", 19],
    ["8.0 GA", "VMware ESXi 8.0.0 build-20513097\nVMware ESXi 8.0 GA\n", 20],
    ["8.0 U1", "VMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.0 Update 1\n", 20],
    ["8.0 U2", "VMware ESXi 8.0.2 build-22380479\nVMware ESXi 8.0 Update 2\n", 21],
    ["8.0 U3", "VMware ESXi 8.0.3 build-24022510\nVMware ESXi 8.0 Update 3\n", 21],
    // `vmware -v` alone: from 7.0 the third part is the update; 6.x prints 6.x.0 whatever the update.
    ["7.0.1 from -v alone", "VMware ESXi 7.0.1 build-16850804\n", 18],
    ["8.0.2 from -v alone", "VMware ESXi 8.0.2 build-22380479\n", 21],
    ["8.0 U2 from -l alone", "VMware ESXi 8.0 Update 2\n", 21],
    ["6.7 from -v alone", "VMware ESXi 6.7.0 build-14320388\n", { least: 14, most: 15 }],
    ["an 8.0 update the table does not know", "VMware ESXi 8.0.4 build-99999999\nVMware ESXi 8.0 Update 4\n", /update later than ESXi 8\.0 Update 3/u],
    ["9.0", "VMware ESXi 9.0.0 build-24755229\nVMware ESXi 9.0 GA\n", 22],
    ["a 9.0 update the table does not know", "VMware ESXi 9.0.1 build-99999999\nVMware ESXi 9.0 Update 1\n", /update later than ESXi 9\.0 GA,/u],
    ["10.0", "VMware ESXi 10.0.0 build-99999999\nVMware ESXi 10.0 GA\n", /newer than those/u],
    ["3.5", "VMware ESXi 3.5.0 build-123630\nVMware ESXi 3.5.0 Update 5\n", /older than ESXi 4\.0/u],
  ];
  for (const [what, output, expected] of table) {
    it(what, () => {
      const range = highestHardwareVersionRange(host(output));
      if (expected instanceof RegExp) assert.match("unknown" in range ? range.unknown : JSON.stringify(range), expected);
      else assert.deepEqual(range, typeof expected === "number" ? { least: expected, most: expected } : expected);
    });
  }
});

describe("decideHardwareVersionFit", () => {
  const ESXI_6_7_U3 = host("VMware ESXi 6.7.0 build-14320388\nVMware ESXi 6.7.0 Update 3\n");
  const ESXI_7_0_U3 = host("VMware ESXi 7.0.3 build-20328353\nVMware ESXi 7.0 Update 3\n");
  const ESXI_8_0_U1 = host("VMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.0 Update 1\n");
  const ESXI_8_0_U2 = host("VMware ESXi 8.0.2 build-22380479\nVMware ESXi 8.0 Update 2\n");

  const refused: [string, number, ReturnType<typeof host>, number, string | undefined][] = [
    ["a 7.0 U2 VM on 6.7 U3", 19, ESXI_6_7_U3, 15, "ESXi 7.0 Update 2"],
    ["an 8.0 VM on 6.7 U3", 20, ESXI_6_7_U3, 15, "ESXi 8.0"],
    ["an 8.0 U2 VM on 7.0 U3", 21, ESXI_7_0_U3, 19, "ESXi 8.0 Update 2"],
    ["an 8.0 U2 VM on 8.0 U1", 21, ESXI_8_0_U1, 20, "ESXi 8.0 Update 2"],
    ["a 9.0 VM on 8.0 U2", 22, ESXI_8_0_U2, 21, "ESXi 9.0"],
    ["a VM newer than the table on 8.0 U2", 23, ESXI_8_0_U2, 21, undefined],
    ["a 6.7 U2 VM on 6.7 GA", 15, host("VMware ESXi 6.7.0 build-8169922\nVMware ESXi 6.7.0 GA\n"), 14, "ESXi 6.7 Update 2"],
    ["a 6.7 VM on 6.5 (ghettoVCB #154)", 14, host("VMware ESXi 6.5.0 build-8294253\nVMware ESXi 6.5.0 Update 2\n"), 13, "ESXi 6.7"],
    ["a 6.7 U3 host whose update was not printed, with a 7.0 VM", 17, host("VMware ESXi 6.7.0 build-14320388\n"), 15, "ESXi 7.0"],
  ];
  for (const [what, vmVersion, esxi, hostHighest, firstRunningIt] of refused) {
    it(`refuses ${what}`, () => {
      const fit = decideHardwareVersionFit(vmVersion, esxi);
      assert.equal(fit.kind, "too-new");
      assert.ok(fit.kind === "too-new");
      assert.deepEqual([fit.vmVersion, fit.hostHighest, fit.firstRunningIt], [vmVersion, hostHighest, firstRunningIt]);
    });
  }

  it("lets a host whose release could not be read decide for itself, saying why it was not checked", () => {
    const fit = decideHardwareVersionFit(22, { unidentified: "`vmware -v` failed (exit code 127): sh: vmware: not found" });
    assert.deepEqual(fit, { kind: "runs", unchecked: "the host's release could not be read (`vmware -v` failed (exit code 127): sh: vmware: not found); the host decides whether it runs version 22" });
  });

  it("names the host as it printed itself", () => {
    const fit = decideHardwareVersionFit(19, ESXI_6_7_U3);
    assert.ok(fit.kind === "too-new");
    assert.equal(fit.host, "ESXi 6.7.0 Update 3 (build 14320388)");
    const ga = decideHardwareVersionFit(21, host("VMware ESXi 8.0.0 build-20513097\nVMware ESXi 8.0 GA\n"));
    assert.ok(ga.kind === "too-new");
    assert.equal(ga.host, "ESXi 8.0.0 GA (build 20513097)");
  });

  const accepted: [string, number | undefined, ReturnType<typeof host>, RegExp | undefined][] = [
    ["the host's own highest", 15, ESXI_6_7_U3, undefined],
    ["an older version on a newer host", 11, ESXI_8_0_U2, undefined],
    ["the same version on the same release", 20, ESXI_8_0_U1, undefined],
    ["version 4 (ESX 3.x) on 8.0", 4, ESXI_8_0_U2, undefined],
    ["a .vmx without the key", undefined, ESXI_6_7_U3, /names no virtualHW\.version/u],
    ["any version on a release newer than the table", 30, host("VMware ESXi 10.0.0 build-99999999\nVMware ESXi 10.0 GA\n"), /newer than those/u],
    ["any version on an 8.0 update newer than the table", 22, host("VMware ESXi 8.0 Update 4\n"), /Update 3, the last/u],
    ["version 15 on 6.7 whose update was not printed", 15, host("VMware ESXi 6.7.0 build-14320388\n"), /runs version 14 or, from a later update, up to 15/u],
    ["version 14 on 6.7 whose update was not printed", 14, host("VMware ESXi 6.7.0 build-14320388\n"), undefined],
  ];
  for (const [what, vmVersion, esxi, unchecked] of accepted) {
    it(`lets through ${what}`, () => {
      const fit = decideHardwareVersionFit(vmVersion, esxi);
      assert.equal(fit.kind, "runs");
      assert.ok(fit.kind === "runs");
      if (unchecked === undefined) assert.equal(fit.unchecked, undefined);
      else assert.match(fit.unchecked ?? "", unchecked);
    });
  }
});

describe("readVmxHardwareVersion", () => {
  const vmx = (line: string): Buffer => Buffer.from(`.encoding = "UTF-8"\nconfig.version = "8"\n${line}\ndisplayName = "web01"\n`);
  it("reads the key in any case, quoted or not", () => {
    assert.equal(readVmxHardwareVersion(vmx('virtualHW.version = "19"'), ".vmx"), 19);
    assert.equal(readVmxHardwareVersion(vmx('virtualhw.version = "7"'), ".vmx"), 7);
    assert.equal(readVmxHardwareVersion(vmx("virtualHW.version = 21"), ".vmx"), 21);
  });
  it("a .vmx without it has none", () => {
    assert.equal(readVmxHardwareVersion(vmx('guestOS = "ubuntu-64"'), ".vmx"), undefined);
  });
  for (const value of ['"vmx-19"', '"19.0"', '""', '"-1"', '"0"', '"fourteen"', '"99999"']) {
    it(`refuses virtualHW.version = ${value}, quoting its line`, () => {
      assert.throws(
        () => readVmxHardwareVersion(vmx(`virtualHW.version = ${value}`), "the .vmx of point p1"),
        (error: unknown) => error instanceof HostOutputError && error.lineNumber === 3 && error.line === `virtualHW.version = ${value}` && /the \.vmx of point p1/u.test(error.message),
      );
    });
  }
});
