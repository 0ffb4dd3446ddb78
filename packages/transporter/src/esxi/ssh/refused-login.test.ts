// What a refused login costs the account: ESXi locks it after Security.AccountLockFailures refused
// passwords (the simulator keeps the count as pam_tally2 does). One login attempt per refusal, never
// another with the same credentials: not on a reconnection, not by the next session of the same command,
// not after a login that timed out once the password was sent.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import ssh2 from "ssh2";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import type { TestHost } from "../testing/simulated-esxi-host.js";
import { SshAuthError, SshConnectError, SshConnectionLostError } from "./esxi-ssh-errors.js";
import { EsxiSshSession } from "./esxi-ssh-session.js";
import { KnownHostsFile } from "./known-hosts-file.js";
import { RefusedLogins } from "./refused-logins.js";
import { sh } from "./shell-command.js";

describe("a login the host refuses", () => {
  let t: TestHost;
  before(async () => {
    t = await startTestHost({ esxiVersion: "8.0" });
  });
  after(() => t.stop());

  /** The host's password attempts (keyboard-interactive answers) since `from`. */
  const passwordAttempts = (from: number): string[] => t.host.loginAttempts.slice(from).filter((a) => a.method === "keyboard-interactive").map((a) => a.outcome);
  const wrongTarget = (): { host: string; port: number; user: string; password: string } => ({ host: "127.0.0.1", port: t.host.port, user: "root", password: `${t.password}x` });

  it("is one password attempt, and sessions sharing the refusal never try it again", async () => {
    const from = t.host.loginAttempts.length;
    const refusedLogins = new RefusedLogins();
    const first = await t.open({ target: wrongTarget(), refusedLogins }).catch((e: unknown) => e);
    assert.ok(first instanceof SshAuthError, String(first));
    assert.deepEqual(passwordAttempts(from), ["refused"]);
    // What to do, and why nothing was retried.
    assert.match(first.message, /the password was not accepted; check the user name and the password file; if the password is right, the account may be locked after repeated failed logins \(ESXi locks it after Security\.AccountLockFailures failures, 5 by default, for Security\.AccountUnlockTime seconds, 900 by default/u);
    assert.match(first.message, /lockdown mode/u);
    assert.match(first.message, /Not tried again: each refused password counts toward the lock$/u);
    // The next VM of a backup opens its own session: refused at once, with the same reason.
    for (let vm = 0; vm < 3; vm++) assert.equal(await t.open({ target: wrongTarget(), refusedLogins }).catch((e: unknown) => e), first);
    assert.deepEqual(passwordAttempts(from), ["refused"]);
  });

  it("sessions starting together log in one at a time: one refused password for all of them", async () => {
    const from = t.host.loginAttempts.length;
    const refusedLogins = new RefusedLogins();
    const errors = await Promise.all(Array.from({ length: 4 }, () => t.open({ target: wrongTarget(), refusedLogins }).catch((e: unknown) => e)));
    assert.ok(errors[0] instanceof SshAuthError, String(errors[0]));
    for (const error of errors) assert.equal(error, errors[0]);
    assert.deepEqual(passwordAttempts(from), ["refused"]);
  });

  it("after a drop, a reconnection the host refuses is not tried again by the commands that follow", async () => {
    t.host.faults.dropConnectionAfterBytes = 256 * 1024;
    const session = await t.open();
    t.host.faults.dropConnectionAfterBytes = null;
    try {
      const lost = await session.exec(sh`dd if=/dev/zero bs=65536 count=32 2>/dev/null`).catch((e: unknown) => e);
      assert.ok(lost instanceof SshConnectionLostError, String(lost));
      // The password stops working while the connection is down (changed, or the account locked by others).
      t.host.faults.rejectLogins = true;
      const from = t.host.loginAttempts.length;
      const refused = await session.exec(sh`true`, { retryOnConnectionLost: true }).catch((e: unknown) => e);
      assert.ok(refused instanceof SshAuthError, String(refused));
      for (let command = 0; command < 3; command++) assert.equal(await session.exec(sh`true`, { retryOnConnectionLost: true }).catch((e: unknown) => e), refused);
      assert.equal(t.host.loginAttempts.length - from, 1, JSON.stringify(t.host.loginAttempts.slice(from)));
    } finally {
      t.host.faults.rejectLogins = false;
      await session.close();
    }
  });

  it("what the host says after refusing the password, in a round without prompts, is quoted: ssh2 alone would answer it and drop its words", async () => {
    t.host.faults.noticeAfterRefusedPassword = "The account is locked due to 5 failed logins.\n(15 minutes left to unlock)";
    try {
      const from = t.host.loginAttempts.length;
      const refused = await t.open({ target: wrongTarget() }).catch((e: unknown) => e);
      assert.ok(refused instanceof SshAuthError, String(refused));
      assert.deepEqual(passwordAttempts(from), ["refused"]);
      assert.match(refused.message, /the host said: "The account is locked due to 5 failed logins\." "\(15 minutes left to unlock\)": the host's words point to its account lock/u);
    } finally {
      t.host.faults.noticeAfterRefusedPassword = null;
    }
  });

  it("a locked account refuses the right password too, and the refusal says the lock is why", async () => {
    // A login resets the count: the earlier tests' refusals do not count toward this lock.
    await (await t.open()).close();
    const from = t.host.loginAttempts.length;
    // Someone else's failures (each a run of its own) reach ESXi's default of 5.
    while (passwordAttempts(from).length < 5) await t.open({ target: wrongTarget() }).catch(() => undefined);
    const locked = await t.open().catch((e: unknown) => e);
    assert.ok(locked instanceof SshAuthError, String(locked));
    assert.deepEqual(passwordAttempts(from), ["refused", "refused", "refused", "refused", "refused", "locked"]);
    // The host's PAM says why (a 6.x host's words), and the refusal says what that means.
    assert.match(locked.message, /the host said: "\/usr\/lib\/vmware\/misc\/bin\/tally_vob\.sh failed: exit code 1": the host's words point to its account lock/u);
  });
});

it("an expired password: the host's change is not answered, and the refusal says what to do", async (t) => {
  const expired = await startTestHost({ esxiVersion: "8.0", passwordExpired: true });
  t.after(() => expired.stop());
  const error = await expired.open().catch((e: unknown) => e);
  assert.ok(error instanceof SshAuthError, String(error));
  assert.match(error.message, /the host said: "You are required to change your password immediately \(administrator enforced\)" "Changing password for root\.": the host asked "Current password:": the password of root has expired or must be changed/u);
  assert.match(error.message, /Nothing was answered, so it is unchanged: change it in an interactive login/u);
  assert.deepEqual(expired.host.loginAttempts.map((a) => `${a.method} ${a.outcome}`), ["keyboard-interactive expired"]);
});

it("a host that never answers the password: the login times out once and is not tried again", async (t) => {
  // An sshd that takes the password and then says nothing, as a host refusing it slowly may look.
  const answers: string[][] = [];
  const server = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync("ecdsa", { bits: 256 }).private] }, (client) => {
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (ctx.method !== "keyboard-interactive") return ctx.reject(["keyboard-interactive"]);
      ctx.prompt([{ prompt: "Password: ", echo: false }], (given) => void answers.push(given));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const folder = mkdtempSync(join(tmpdir(), "silent-sshd-"));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const error = await EsxiSshSession.open({
    target: { host: "127.0.0.1", port: (server.address() as AddressInfo).port, user: "root", password: "pw" },
    knownHosts: new KnownHostsFile(join(folder, "known_hosts")),
    connectTimeoutMs: 500,
    reconnectAttempts: 3,
    reconnectDelayMs: () => 0,
  }).catch((e: unknown) => e);
  assert.ok(error instanceof SshConnectError, String(error));
  assert.equal(error.retryable, false);
  assert.match(error.message, /no answer to the password within 500 ms; not tried again, as a refused password counts toward the account's lock/u);
  assert.equal(answers.length, 1);
});
