// The capability probe over SSH against simulated 6.7, 7.0 and 8.0 hosts, and a host stripped of Python and
// of some hash applets (what the data path falls back on).
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ESXI_VERSIONS } from "@esxbackup/domain";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import { probeBackupCapabilities, probeHostCapabilities } from "./host-capabilities.js";

const BUILDS = { "6.7": "14320388", "7.0": "20328353", "8.0": "21495797" } as const;

for (const version of ESXI_VERSIONS) {
  test(`probes a simulated ESXi ${version} host`, async (t) => {
    const host = await startTestHost({ esxiVersion: version });
    t.after(() => host.stop());
    const session = await host.open();
    const capabilities = await probeHostCapabilities(session);
    assert.ok(!("unidentified" in capabilities.esxi), JSON.stringify(capabilities.esxi));
    assert.equal(capabilities.esxi.release, version);
    assert.equal(capabilities.esxi.build, BUILDS[version]);
    assert.ok(capabilities.esxi.update !== undefined, "vmware -l was read too");
    assert.equal(capabilities.python?.command, "python3");
    assert.equal(capabilities.python?.version?.major, 3);
    assert.deepEqual(capabilities.hashApplets, { md5sum: true, sha1sum: true, sha256sum: true });
    assert.deepEqual(capabilities.tools, { dd: true, ddNotrunc: true, wc: true });
    const datastore = capabilities.datastores.find((d) => d.volumeName === "datastore1");
    assert.ok(datastore !== undefined, JSON.stringify(capabilities.datastores));
    assert.equal(datastore.sizeBytes, 2 * 1024 * 1024 * 1024);
    assert.ok(datastore.freeBytes > 0 && datastore.freeBytes <= datastore.sizeBytes);
  });
}

test("a host without Python and without md5sum and sha1sum says so", async (t) => {
  const host = await startTestHost({ esxiVersion: "7.0", shell: { python: false, disabledApplets: ["md5sum", "sha1sum"] } });
  t.after(() => host.stop());
  const capabilities = await probeHostCapabilities(await host.open());
  assert.equal(capabilities.python, undefined);
  assert.deepEqual(capabilities.pythons, []);
  assert.deepEqual(capabilities.hashApplets, { md5sum: false, sha1sum: false, sha256sum: true });
});

test("a backup's probe finds the same release, Python and applets without asking esxcli", async (t) => {
  const host = await startTestHost({ esxiVersion: "8.0" });
  t.after(() => host.stop());
  const session = await host.open();
  const commands: string[] = [];
  const counting = { exec: (command: Parameters<typeof session.exec>[0], options?: Parameters<typeof session.exec>[1]) => (commands.push(command.text), session.exec(command, options)) };
  const backup = await probeBackupCapabilities(counting);
  const whole = await probeHostCapabilities(session);
  assert.deepEqual(backup, { esxi: whole.esxi, python: whole.python, pythons: whole.pythons, hashApplets: whole.hashApplets, tools: whole.tools });
  assert.equal(commands.length, 3, commands.join(" | "));
  assert.ok(!commands.some((c) => c.includes("esxcli")), commands.join(" | "));
});
