// Re-pinning deliberately (`esxbackup hosts trust`) against a simulated host whose key changed.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import { HostKeyChangedError, SshAuthError } from "./esxi-ssh-errors.js";
import { sh } from "./shell-command.js";
import { HostKeyFingerprintMismatchError, trustHostKey } from "./trust-host-key.js";

test("a changed key is accepted only through an explicit re-pin, checked against the expected fingerprint", async (t) => {
  const host = await startTestHost({ esxiVersion: "8.0" });
  t.after(() => host.stop());
  const target = { host: "127.0.0.1", port: host.host.port, user: "root", password: host.password };
  const knownHosts = host.knownHosts;

  const first = await trustHostKey({ target, knownHosts });
  assert.equal(first.changed, true);
  assert.deepEqual(first.previous, []);
  assert.ok(host.host.hostKeyFingerprints.includes(first.pinned.fingerprint));
  assert.equal((await trustHostKey({ target, knownHosts })).changed, false, "trusting the same key again changes nothing");

  await host.host.rotateHostKey();
  await assert.rejects(host.open(), HostKeyChangedError);
  const pinnedBefore = readFileSync(knownHosts.path, "utf8");

  const mismatch = await trustHostKey({ target: { ...target, password: "wrong" }, knownHosts, expectedFingerprint: first.pinned.fingerprint }).catch((e: unknown) => e);
  assert.ok(mismatch instanceof HostKeyFingerprintMismatchError, `refused before the (wrong) password was tried: ${String(mismatch)}`);
  assert.equal(readFileSync(knownHosts.path, "utf8"), pinnedBefore);
  const presented = /presented \S+ (SHA256:\S+),/u.exec(mismatch.message)?.[1];
  assert.ok(presented !== undefined && host.host.hostKeyFingerprints.includes(presented), mismatch.message);

  await assert.rejects(trustHostKey({ target: { ...target, password: "wrong" }, knownHosts, expectedFingerprint: presented }), SshAuthError);
  assert.equal(readFileSync(knownHosts.path, "utf8"), pinnedBefore, "nothing is pinned without a successful login");

  const repinned = await trustHostKey({ target, knownHosts, expectedFingerprint: presented });
  assert.equal(repinned.changed, true);
  assert.deepEqual(repinned.previous.map((k) => k.fingerprint), [first.pinned.fingerprint]);
  assert.equal(repinned.pinned.fingerprint, presented);
  const session = await host.open();
  assert.equal((await session.exec(sh`echo trusted`)).stdout.toString(), "trusted\n");
});

test("a malformed expected fingerprint is refused before connecting", async () => {
  const { KnownHostsFile } = await import("./known-hosts-file.js");
  await assert.rejects(
    trustHostKey({ target: { host: "127.0.0.1", port: 1, user: "root" }, knownHosts: new KnownHostsFile("/nonexistent/known_hosts"), expectedFingerprint: "MD5:aa:bb" }),
    /fingerprint: expected SHA256:/u,
  );
});
