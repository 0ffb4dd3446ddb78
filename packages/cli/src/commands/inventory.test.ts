/**
 * `esxbackup inventory` in-process against simulated 6.7, 7.0 and 8.0 hosts over real SSH: the table and
 * the --json model (a running and a powered-off VM, a VM with a user snapshot and its chain, a VM named with
 * shell metacharacters, a VM the host skips: exit 1), a wrong password and a changed host key (exit 3,
 * clear messages), bad input (exit 2), and the password never printed.
 */
import { strict as assert } from "node:assert";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import type { HostInventory } from "@esxbackup/transporter";
import { hostLoginFixture } from "./host-login-fixture.js";
import { runCli } from "./repo/cli-test-support.js";

const MIB = 1024 * 1024;
const AWKWARD = `web "01" $(touch pwned); \`id\` & [x] 'q' ü`;
const quiet = { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 };
const disk = { slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] };

for (const version of ["6.7", "7.0", "8.0"] as const) {
  describe(`esxbackup inventory against a simulated ESXi ${version} host`, () => {
    const { work, password, passwordFile, wrongPasswordFile, knownHosts } = hostLoginFixture("esxbackup-inventory-");
    let host: SimulatedHost;
    let common: string[];
    const printed: string[] = [];

    before(async () => {
      const config = parseHostConfig(
        {
          name: "esx01",
          esxiVersion: version,
          ssh: { port: 0, users: [{ name: "root", password }] },
          datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1 << 30 }],
          vms: [
            { name: AWKWARD, vmid: 1, guestId: "ubuntu64Guest", powerState: "poweredOn", disks: [disk], workload: quiet },
            { name: "archive", vmid: 2, powerState: "poweredOff", disks: [disk], workload: quiet },
            { name: "db", vmid: 3, powerState: "poweredOn", snapshots: [{ name: "by hand", description: "" }], disks: [disk], workload: quiet },
          ],
        },
        "test",
      );
      host = await SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
      common = ["inventory", "--host", `127.0.0.1:${host.port}`, "--user", "root", "--known-hosts", knownHosts];
    });
    after(async () => {
      await host.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it("prints the VMs, disks and snapshots as a table, pinning the key on first use", async () => {
      const result = await runCli([...common, "--password-file", passwordFile]);
      printed.push(result.stdout, result.stderr);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /first connection, pinned its key SHA256:/u);
      const lines = result.stdout.split("\n");
      assert.match(lines[0] ?? "", /^127\.0\.0\.1:\d+: 3 VMs$/u);
      assert.ok(lines.some((l) => l.startsWith("1     ") && l.includes(AWKWARD) && /\bon\b/u.test(l)), result.stdout);
      assert.ok(lines.some((l) => /^2 +archive +off /u.test(l)), result.stdout);
      assert.ok(lines.some((l) => /^3 +scsi0:0 +4 MiB +thin +off +persistent +1 +\/vmfs\/volumes\/datastore1\/db\/db-000001\.vmdk +ok$/u.test(l)), result.stdout);
      assert.ok(lines.some((l) => /^3 +by hand +\d+ +\d{4}-\d\d-\d\dT/u.test(l)), result.stdout);
      assert.ok(lines.some((l) => /^datastore1 +VMFS-\d +1\.0 GiB +\d+ MiB \(9\d\.\d %\) +ok$/u.test(l)), result.stdout);
      // The same datastore judged against a minimum it cannot meet.
      const strict = await runCli([...common, "--password-file", passwordFile, "--min-datastore-free", "99.9%"]);
      printed.push(strict.stdout, strict.stderr);
      assert.equal(strict.code, 0, strict.stderr);
      assert.match(strict.stdout, /^datastore1 +VMFS-\d +1\.0 GiB +\d+ MiB \(9\d\.\d %\) +refused: under 99\.9 % free$/mu);
    });

    it("prints the whole model with --json; a VM the host skips makes it exit 1, listed with why", async () => {
      rmSync(join(host.rootDir, "vmfs", "volumes", "5e0026d9-a647150e-d8a8-4cedfb76e9d5", "archive", "archive.vmx"));
      const result = await runCli([...common, "--password-file", passwordFile, "--json"]);
      printed.push(result.stdout, result.stderr);
      assert.equal(result.code, 1, result.stderr);
      const json = JSON.parse(result.stdout) as HostInventory & { host: string; vms: { snapshots: { name: string; createdAt: string }[] }[] };
      assert.deepEqual(json.vms.map((v) => [v.vmid, v.name, v.powerState]), [["1", AWKWARD, "poweredOn"], ["3", "db", "poweredOn"]]);
      const db = json.vms[1];
      assert.equal(db?.snapshots[0]?.name, "by hand");
      assert.equal(db?.disks[0]?.baseDescriptorPath, "/vmfs/volumes/datastore1/db/db.vmdk");
      assert.deepEqual(json.unreadableVms.map((u) => [u.vmid, u.reason]), [["2", "invalid"]]);
      const { datastores, minDatastoreFree } = json as unknown as { datastores: { volumeName: string; sizeBytes: number; freeBytes: number; runningVmBackups: string }[]; minDatastoreFree: unknown };
      assert.deepEqual(datastores.map((d) => [d.volumeName, d.sizeBytes, d.runningVmBackups]), [["datastore1", 1 << 30, "ok"]]);
      assert.ok((datastores[0]?.freeBytes ?? 0) > 0 && (datastores[0]?.freeBytes ?? 0) < 1 << 30);
      assert.deepEqual(minDatastoreFree, { percent: 5 });
      const table = await runCli([...common, "--password-file", passwordFile]);
      assert.equal(table.code, 1);
      assert.match(table.stdout, /NOT READ BECAUSE\n2 +- +VM 2: the host could not load it/u);
    });

    it("a wrong password and a changed host key fail with exit 3 and say what to do", async () => {
      const from = host.loginAttempts.length;
      const wrong = await runCli([...common, "--password-file", wrongPasswordFile]);
      printed.push(wrong.stdout, wrong.stderr);
      assert.equal(wrong.code, 3);
      assert.match(wrong.stderr, /^esxbackup: 127\.0\.0\.1:\d+: login as root refused .*the account may be locked after repeated failed logins/u);
      // One password attempt for the run (each counts toward ESXi's lock).
      assert.deepEqual(host.loginAttempts.slice(from).map((a) => `${a.method} ${a.outcome}`), ["keyboard-interactive refused"]);
      await host.rotateHostKey();
      const changed = await runCli([...common, "--password-file", passwordFile]);
      printed.push(changed.stdout, changed.stderr);
      assert.equal(changed.code, 3);
      assert.match(changed.stderr, /HOST KEY CHANGED: the host presented \S+ SHA256:\S+ but \S+ SHA256:\S+ is pinned in .*known_hosts.*esxbackup hosts trust/u);
      assert.equal(changed.stdout, "");
    });

    it("refuses bad input with exit 2", async () => {
      for (const argv of [
        ["inventory", "--host", "esx01:99999", "--password-file", passwordFile, "--known-hosts", knownHosts],
        [...common],
        [...common, "--password-file", join(work, "missing")],
        [...common, "--password-file", passwordFile, "--min-datastore-free", "100%"],
      ]) {
        const result = await runCli(argv);
        printed.push(result.stdout, result.stderr);
        assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, /^esxbackup: (--host|--password-file|--min-datastore-free): /u);
      }
    });

    it("never prints the password", () => {
      assert.ok(printed.join("").length > 0);
      for (const text of printed) assert.ok(!text.includes(password.trim()), text);
    });
  });
}
