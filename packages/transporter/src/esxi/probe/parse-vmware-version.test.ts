// Golden tests from esxi-facts 1.11 [verbatim] `vmware -v` / `vmware -l` samples.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { HostOutputError } from "../parsers/host-output-error.js";
import { parseVmwareVersion } from "./parse-vmware-version.js";

test("vmware -l on 6.7 U3 (kuiper sample)", () => {
  assert.deepEqual(parseVmwareVersion("VMware ESXi 6.7.0 Update 3\n"), { version: "6.7.0", build: undefined, update: "3", release: "6.7" });
});

test("vmware -v on 7.0.3 (kuiper1 sample)", () => {
  assert.deepEqual(parseVmwareVersion("VMware ESXi 7.0.3 build-20328353\n"), { version: "7.0.3", build: "20328353", update: undefined, release: "7.0" });
});

test("vmware -vl: both lines, 8.0.2 logbook build", () => {
  assert.deepEqual(parseVmwareVersion("VMware ESXi 8.0.2 build-22380479\nVMware ESXi 8.0.2 Update 2\n"), {
    version: "8.0.2",
    build: "22380479",
    update: "2",
    release: "8.0",
  });
});

// On 7.0 and 8.0 `vmware -l` names only major.minor. Public pastes of real hosts: a 7.0 host
// (`vmware -l` then `vmware -v`), an 8.0 GA host (`vmware -vl` and `vmware -lv`, both orders seen), and a
// 6.5 host printing the full version on both lines like 6.7.
const realPairs: [string, string, { version: string; build: string | undefined; update: string | undefined; release: string | undefined }][] = [
  ["7.0: -l then -v", "VMware ESXi 7.0 Update 3\nVMware ESXi 7.0.3 build-20328353\n", { version: "7.0.3", build: "20328353", update: "3", release: "7.0" }],
  ["7.0: -v && -l, as the probe runs them", "VMware ESXi 7.0.3 build-20328353\nVMware ESXi 7.0 Update 3\n", { version: "7.0.3", build: "20328353", update: "3", release: "7.0" }],
  ["8.0 GA: -lv", "VMware ESXi 8.0.0 build-20513097\nVMware ESXi 8.0 GA\n", { version: "8.0.0", build: "20513097", update: "0", release: "8.0" }],
  ["8.0 GA: -vl printing the level first", "VMware ESXi 8.0 GA\nVMware ESXi 8.0.0 build-20513097\n", { version: "8.0.0", build: "20513097", update: "0", release: "8.0" }],
  ["8.0 U2: -l alone", "VMware ESXi 8.0 Update 2\n", { version: "8.0", build: undefined, update: "2", release: "8.0" }],
  ["6.5 U3: -vl", "VMware ESXi 6.5.0 build-14320405\nVMware ESXi 6.5.0 Update 3\n", { version: "6.5.0", build: "14320405", update: "3", release: undefined }],
];
for (const [what, output, expected] of realPairs) {
  test(`vmware -v / -l as real hosts print them — ${what}`, () => {
    assert.deepEqual(parseVmwareVersion(output), expected);
  });
}

test("a two-part -l line that disagrees with the -v line is refused", () => {
  assert.throws(() => parseVmwareVersion("VMware ESXi 7.0.3 build-20328353\nVMware ESXi 8.0 Update 3\n"), /another version than 7\.0\.3/u);
  assert.throws(() => parseVmwareVersion("VMware ESXi 8.0 GA\nVMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.1 GA\n"), /another version/u);
  assert.throws(() => parseVmwareVersion("VMware ESXi 8 GA\n"), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 1 && e.line === "VMware ESXi 8 GA");
  assert.throws(
    () => parseVmwareVersion("VMware ESXi 7.0.3 build-20328353\nVMware ESXi 7.0 Update 3\nVMware ESXi 7.0.3 build-21313628\n"),
    (e: unknown) => e instanceof HostOutputError && e.lineNumber === 3 && /contradicts/u.test(e.problem),
  );
  assert.throws(() => parseVmwareVersion("VMware ESXi 7.0 Update 3\nVMware ESXi 7.0 Update 2\n"), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 2);
});

test("GA release, trailing blanks and CRLF are accepted; an unsupported release is named, not refused", () => {
  assert.deepEqual(parseVmwareVersion("VMware ESXi 6.5.0 build-8294253 \r\nVMware ESXi 6.5.0 GA\r\n"), { version: "6.5.0", build: "8294253", update: "0", release: undefined });
});

test("output it does not understand is an error quoting the line", () => {
  assert.throws(() => parseVmwareVersion("VMkernel esx01 8.0.2 #1 SMP Release build-22380479\n"), (e: unknown) => e instanceof InvalidInputError && e.message.includes('"VMkernel esx01 8.0.2'));
  assert.throws(() => parseVmwareVersion(""), InvalidInputError);
  assert.throws(() => parseVmwareVersion("VMware ESXi 8.0.2 build-22380479\nVMware ESXi 7.0.3 Update 3\n"), /another version/u);
});
