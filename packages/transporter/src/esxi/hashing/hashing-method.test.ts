import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { FingerprintAlgorithm } from "@esxbackup/domain";
import { readingFor } from "../disk/host-disk-reader.js";
import { HostLacksToolsError } from "../probe/host-lacks-tools-error.js";
import { chooseHashingMethod, hashingCapabilitiesOf } from "./hashing-method.js";
import type { HashingCapabilities, HashingMethod } from "./hashing-method.js";

const BUSYBOX = ["sh", "dd", "wc", "md5sum", "sha1sum", "sha256sum"];
const py = (version: string): { command: string; version: string } => ({ command: "python3", version });

describe("chooseHashingMethod", () => {
  const table: [string, HashingCapabilities, FingerprintAlgorithm, HashingMethod][] = [
    ["6.7's Python 3.5", { python: py("3.5.10"), applets: BUSYBOX }, "sha1", { kind: "python", command: "python3", algorithm: "sha1" }],
    ["Python 3.8 as `python`", { python: { command: "python", version: "3.8.20" }, applets: [] }, "sha256", { kind: "python", command: "python", algorithm: "sha256" }],
    ["Python 4 some day", { python: py("4.0"), applets: [] }, "md5", { kind: "python", command: "python3", algorithm: "md5" }],
    ["no Python: busybox with the wanted applet", { applets: BUSYBOX }, "sha256", { kind: "busybox", algorithm: "sha256" }],
    ["Python too old: busybox", { python: py("3.4.3"), applets: BUSYBOX }, "md5", { kind: "busybox", algorithm: "md5" }],
    ["Python 2: busybox", { python: py("2.7.18"), applets: BUSYBOX }, "md5", { kind: "busybox", algorithm: "md5" }],
    ["unreadable version: busybox", { python: py("unknown"), applets: BUSYBOX }, "md5", { kind: "busybox", algorithm: "md5" }],
    ["no md5sum: the wanted sha1", { applets: ["sh", "dd", "wc", "sha1sum", "sha256sum"] }, "sha1", { kind: "busybox", algorithm: "sha1" }],
    ["wanted applet missing: the first there is", { applets: ["sh", "dd", "wc", "sha256sum"] }, "md5", { kind: "busybox", algorithm: "sha256" }],
    ["no digest applet at all", { applets: ["sh", "dd", "wc"] }, "md5", { kind: "full-read", reason: "no way to hash on the host: no Python; no md5sum, sha1sum or sha256sum" }],
    ["no dd", { python: py("3.4.0"), applets: ["sh", "wc", "md5sum"] }, "md5", { kind: "full-read", reason: "no way to hash on the host: Python 3.4.0 is older than 3.5; no dd" }],
  ];
  for (const [name, capabilities, wanted, expected] of table) {
    it(name, () => assert.deepEqual(chooseHashingMethod(capabilities, wanted), expected));
  }

  it("busybox only while it beats reading the disk over the link (about 13 MB/s at 64 KiB blocks)", () => {
    const noPython = { applets: BUSYBOX };
    assert.deepEqual(chooseHashingMethod(noPython, "md5", { bytesPerSecond: 10e6 }), { kind: "busybox", algorithm: "md5" });
    assert.deepEqual(chooseHashingMethod(noPython, "md5", { bytesPerSecond: 117e6 }), {
      kind: "full-read",
      reason: "no Python on the host, and over a 117 MB/s link reading the disk is faster than hashing it with busybox",
    });
    // Larger blocks move the crossover: 1 MiB per 5 ms is about 210 MB/s.
    assert.deepEqual(chooseHashingMethod(noPython, "md5", { bytesPerSecond: 117e6, blockSizeBytes: 1024 * 1024 }), { kind: "busybox", algorithm: "md5" });
    // Python is always worth it: one pass at hashing speed.
    assert.equal(chooseHashingMethod({ python: py("3.5.10"), applets: BUSYBOX }, "md5", { bytesPerSecond: 1e9 }).kind, "python");
  });
});

describe("hashingCapabilitiesOf", () => {
  const probe = { python: undefined, hashApplets: { md5sum: true, sha1sum: false, sha256sum: true } };
  it("lists dd and wc only when the probe found them", () => {
    assert.deepEqual(hashingCapabilitiesOf({ ...probe, tools: { dd: true, ddNotrunc: false, wc: true } }).applets, ["sh", "dd", "wc", "md5sum", "sha256sum"]);
    const noDd = hashingCapabilitiesOf({ ...probe, tools: { dd: false, ddNotrunc: false, wc: true } });
    assert.deepEqual(noDd.applets, ["sh", "wc", "md5sum", "sha256sum"]);
    assert.deepEqual(chooseHashingMethod(noDd, "md5"), { kind: "full-read", reason: "no way to hash on the host: no Python; no dd" });
  });
});

describe("readingFor", () => {
  it("reads with the hashing Python, else dd, and refuses a host with neither", () => {
    assert.deepEqual(readingFor({ kind: "python", command: "python", algorithm: "sha1" }, { applets: [] }), { kind: "python", command: "python" });
    assert.deepEqual(readingFor({ kind: "busybox", algorithm: "md5" }, { applets: BUSYBOX }), { kind: "dd" });
    assert.deepEqual(readingFor({ kind: "full-read", reason: "x" }, { applets: ["sh", "dd"] }), { kind: "dd" });
    assert.throws(
      () => readingFor({ kind: "full-read", reason: "x" }, { applets: ["sh", "wc", "md5sum"] }),
      (e: unknown) => e instanceof HostLacksToolsError && /no usable Python 3 and no dd/u.test(e.message),
    );
  });
});
