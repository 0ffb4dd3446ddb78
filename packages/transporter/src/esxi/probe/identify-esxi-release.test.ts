import { strict as assert } from "node:assert";
import { test } from "node:test";
import { identifyEsxiRelease } from "./identify-esxi-release.js";

const ok = (stdout: string): { exitCode: number; stdout: string; stderr: string } => ({ exitCode: 0, stdout, stderr: "" });
const V_703 = ok("VMware ESXi 7.0.3 build-20328353\n");

test("the release from -v, its update from -l when that agrees", () => {
  assert.deepEqual(identifyEsxiRelease(V_703, ok("VMware ESXi 7.0 Update 3\n")), { version: "7.0.3", build: "20328353", update: "3", release: "7.0" });
  assert.deepEqual(identifyEsxiRelease(ok("VMware ESXi 6.7.0 build-14320388\n"), ok("VMware ESXi 6.7.0 Update 3\n")), { version: "6.7.0", build: "14320388", update: "3", release: "6.7" });
});

test("a -l that fails, is deprecated, says something else or contradicts -v only leaves the update unknown", () => {
  const without = { version: "7.0.3", build: "20328353", update: undefined, release: "7.0" };
  // ESX 9.0 deprecates -l for -r; what it prints then is not public: any of these.
  for (const level of [
    { exitCode: 1, stdout: "", stderr: "vmware: option -l is deprecated, use -r\n" },
    ok("Warning: -l is deprecated, use -r\nVMware ESX 9.0.0.0 GA\n"),
    ok(""),
    ok("VMware ESXi 8.0 Update 3\n"),
  ]) {
    assert.deepEqual(identifyEsxiRelease(V_703, level), without, JSON.stringify(level));
  }
});

test("ESX 9.0's name and four-part versions are read; the release line is not one of ours", () => {
  // A public 9.0 lab guide's `vmware -v` (build 24755229, esxcli's `Version: 9.0.0` on the same build),
  // and the renamed product with an express patch's four-part version (KB 395110's scheme: derived).
  assert.deepEqual(identifyEsxiRelease(ok("VMware ESXi 9.0.0 build-24755229\n"), { exitCode: 1, stdout: "", stderr: "" }), { version: "9.0.0", build: "24755229", update: undefined, release: undefined });
  assert.deepEqual(identifyEsxiRelease(ok("VMware ESX 9.0.0.0100 build-24813472\n"), ok("")), { version: "9.0.0.0100", build: "24813472", update: undefined, release: undefined });
});

test("a -v that fails or prints something else: unidentified, quoting it, never a guess", () => {
  assert.deepEqual(identifyEsxiRelease({ exitCode: 127, stdout: "", stderr: "sh: vmware: not found\n" }, ok("")), { unidentified: "`vmware -v` failed (exit code 127): sh: vmware: not found" });
  const other = identifyEsxiRelease(ok("VMware ESX 9.1 (VCF 9.1.0.0)\n"), ok(""));
  assert.ok("unidentified" in other && other.unidentified.includes('"VMware ESX 9.1 (VCF 9.1.0.0)"'), JSON.stringify(other));
  // A level line where the version was asked for.
  assert.deepEqual(identifyEsxiRelease(ok("VMware ESXi 8.0 GA\n"), ok("")), { unidentified: "`vmware -v` printed no build: VMware ESXi 8.0 GA" });
});
