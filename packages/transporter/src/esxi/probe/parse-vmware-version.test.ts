// Golden tests from esxi-facts 1.11 [verbatim] `vmware -v` / `vmware -l` samples.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
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

test("GA release, trailing blanks and CRLF are accepted; an unsupported release is named, not refused", () => {
  assert.deepEqual(parseVmwareVersion("VMware ESXi 6.5.0 build-8294253 \r\nVMware ESXi 6.5.0 GA\r\n"), { version: "6.5.0", build: "8294253", update: "0", release: undefined });
});

test("output it does not understand is an error quoting the line", () => {
  assert.throws(() => parseVmwareVersion("VMkernel esx01 8.0.2 #1 SMP Release build-22380479\n"), (e: unknown) => e instanceof InvalidInputError && e.message.includes('"VMkernel esx01 8.0.2'));
  assert.throws(() => parseVmwareVersion(""), InvalidInputError);
  assert.throws(() => parseVmwareVersion("VMware ESXi 8.0.2 build-22380479\nVMware ESXi 7.0.3 Update 3\n"), /another version/u);
});
