/**
 * End to end against a simulated ESXi 8.0 host over real SSH, the guest writing all along: `esxbackup
 * backup` makes a point of a running two-disk VM, `esxbackup restore --to-host --power-on` puts it back as a
 * new VM, and each of its disks equals the simulator's record of that disk at the backup's snapshot, byte for
 * byte; the original keeps running and its files are not touched by the restore.
 */
import { strict as assert } from "node:assert";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HostModel, SimulatedHost } from "@esxbackup/esxi-simulator";
import { hostLoginFixture } from "./host-login-fixture.js";
import { fileHashes, runCli } from "./repo/cli-test-support.js";
import { startRestoreTestHost } from "./restore-test-support.js";

const MIB = 1024 * 1024;

describe("esxbackup backup, then restore --to-host", () => {
  const { work, password, passwordFile, knownHosts } = hostLoginFixture("esxbackup-restore-e2e-");
  const repo = join(work, "repo");
  let host: SimulatedHost;
  let model: HostModel;
  let login: string[];

  before(async () => {
    const disks = [
      { slot: "scsi0:0", sizeBytes: 8 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 3 * MIB }] },
      { slot: "scsi0:1", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: MIB, lengthBytes: MIB }] },
    ];
    // A running two-disk VM whose guest writes 4 times a second.
    host = await startRestoreTestHost(work, password, [{ name: "web01", vmid: 1, powerState: "poweredOn", disks, workload: { writesPerSecond: 4, writeSizeBytes: 65536, seed: 1 } }]);
    model = host.model as HostModel;
    login = ["--user", "root", "--password-file", passwordFile, "--known-hosts", knownHosts, "--repo", repo];
    assert.equal((await runCli(["repo", "init", "--repo", repo, "--chunk-size", "64K"])).code, 0);
  });
  after(async () => {
    await host.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("the restored VM's disks equal the original's at the backup's snapshot; the original runs on, untouched", async () => {
    await model.workload(1).waitForWrites(2);
    const backup = await runCli(["backup", "--host", `127.0.0.1:${host.port}`, ...login, "--vm", "web01", "--json"]);
    assert.equal(backup.code, 0, backup.stderr);
    const point = (JSON.parse(backup.stdout) as { vms: { point: string }[] }).vms[0]?.point;
    assert.ok(point !== undefined, backup.stdout);
    const record = model.pointInTimeRecords(1).at(-1);
    assert.ok(record !== undefined);
    const original = model.vmByName("web01");
    const originalFiles = await fileHashes(dirname(original.vmxPath));
    const restore = await runCli(["restore", "--point", point, "--to-host", `127.0.0.1:${host.port}`, ...login, "--name", "web01 copy", "--power-on", "--json"]);
    assert.equal(restore.code, 0, restore.stderr);
    const restored = model.vmByName("web01 copy");
    assert.equal(restored.powerState, "poweredOn");
    assert.deepEqual(restored.disks.map((d) => d.slot), ["scsi0:0", "scsi0:1"]);
    for (const disk of restored.disks) {
      const expected = record.disks.find((d) => d.slot === disk.slot)?.image;
      assert.ok(expected !== undefined, disk.slot);
      // A running VM's disk is locked: its bytes are where the simulator keeps them (extentDataPaths).
      assert.ok((await readFile(disk.extentDataPaths[0] as string)).equals(expected), `${disk.slot} equals the disk at the snapshot`);
    }
    assert.equal(model.vmByName("web01").powerState, "poweredOn");
    const after = await fileHashes(dirname(original.vmxPath));
    // The guest keeps writing into its disk; every other file of the original is as it was.
    for (const [path, hash] of originalFiles) if (!path.endsWith("-flat.vmdk")) assert.equal(after.get(path), hash, path);
  });
});
