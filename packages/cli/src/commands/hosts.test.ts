/**
 * `esxbackup hosts trust` in-process against a simulated ESXi host: first use, a changed key accepted only
 * through it (and only with the right --fingerprint), a wrong password, and the password never printed.
 */
import { strict as assert } from "node:assert";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { SimulatedHost, parseHostConfig } from "@esxbackup/esxi-simulator";
import { hostLoginFixture } from "./host-login-fixture.js";
import { runCli } from "./repo/cli-test-support.js";

describe("esxbackup hosts trust", () => {
  const { work, password, passwordFile, wrongPasswordFile, knownHosts } = hostLoginFixture("esxbackup-hosts-");
  let host: SimulatedHost;
  let common: string[];
  const printed: string[] = [];

  before(async () => {
    const config = parseHostConfig(
      { name: "esx01", esxiVersion: "7.0", ssh: { port: 0, users: [{ name: "root", password }] }, datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1 << 30 }] },
      "test",
    );
    host = await SimulatedHost.start(config, { stateDir: join(work, "host"), clock: systemClock });
    common = ["hosts", "trust", "--host", `127.0.0.1:${host.port}`, "--user", "root", "--known-hosts", knownHosts];
  });
  after(async () => {
    await host.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("pins on first use and says so; again, says nothing changed", async () => {
    const first = await runCli([...common, "--password-file", passwordFile]);
    printed.push(first.stdout, first.stderr);
    assert.equal(first.code, 0, first.stderr);
    const fingerprint = /pinned ecdsa-sha2-nistp256 (SHA256:\S+) in /u.exec(first.stdout)?.[1];
    assert.ok(fingerprint !== undefined && host.hostKeyFingerprints.includes(fingerprint), first.stdout);
    assert.match(readFileSync(knownHosts, "utf8"), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.port} ecdsa-sha2-nistp256 `, "u"));
    const again = await runCli([...common, "--password-file", passwordFile]);
    assert.match(again.stdout, /was already pinned/u);
  });

  it("re-pins a changed key: refused with a wrong --fingerprint or password, pinned with the right one, as JSON", async () => {
    const before = readFileSync(knownHosts, "utf8");
    await host.rotateHostKey();
    const wrongFingerprint = await runCli([...common, "--password-file", passwordFile, "--fingerprint", `SHA256:${"A".repeat(43)}`]);
    printed.push(wrongFingerprint.stdout, wrongFingerprint.stderr);
    assert.equal(wrongFingerprint.code, 3);
    assert.match(wrongFingerprint.stderr, /not the expected SHA256:A{43}; nothing was pinned and no credential was sent/u);
    const wrongPassword = await runCli([...common, "--password-file", wrongPasswordFile]);
    printed.push(wrongPassword.stdout, wrongPassword.stderr);
    assert.equal(wrongPassword.code, 3);
    assert.match(wrongPassword.stderr, /login as root refused/u);
    assert.equal(readFileSync(knownHosts, "utf8"), before);

    const presented = /presented \S+ (SHA256:\S+),/u.exec(wrongFingerprint.stderr)?.[1] as string;
    const pinned = await runCli([...common, "--password-file", passwordFile, "--fingerprint", presented, "--json"]);
    printed.push(pinned.stdout, pinned.stderr);
    assert.equal(pinned.code, 0, pinned.stderr);
    const json = JSON.parse(pinned.stdout) as { pinned: { fingerprint: string }; previous: { fingerprint: string }[]; changed: boolean; knownHosts: string };
    assert.equal(json.pinned.fingerprint, presented);
    assert.equal(json.previous.length, 1);
    assert.notEqual(json.previous[0]?.fingerprint, presented);
    assert.equal(json.changed, true);
    assert.equal(json.knownHosts, knownHosts);
  });

  it("refuses bad input with exit 2 and changes nothing", async () => {
    const before = readFileSync(knownHosts, "utf8");
    for (const argv of [
      ["hosts", "trust", "--host", "esx01:99999", "--password-file", passwordFile, "--known-hosts", knownHosts],
      [...common],
      [...common, "--password-file", join(work, "missing")],
      [...common, "--password-file", passwordFile, "--fingerprint", "MD5:ab"],
    ]) {
      const result = await runCli(argv);
      printed.push(result.stdout, result.stderr);
      assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /^esxbackup: (--host|--password-file|fingerprint): /u);
    }
    assert.equal(readFileSync(knownHosts, "utf8"), before);
  });

  it("never prints the password", () => {
    assert.ok(printed.join("").length > 0);
    for (const text of printed) assert.ok(!text.includes(password.trim()), text);
  });
});
