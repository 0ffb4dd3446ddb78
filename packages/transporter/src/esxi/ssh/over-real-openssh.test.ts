// Against a real OpenSSH sshd set up as ESXi 8.0.2's (esxi-facts §4: its algorithm lines verbatim), where
// the simulator's ssh2 server behaves otherwise:
// - ESXi 8's `rekeylimit 1G, 1H`, scaled down so that the server starts key exchanges while channels carry
//   data, as a real host does every gigabyte or hour of a backup: uploads and downloads on several channels
//   at once arrive whole, over the one connection, never dropped (ssh2 corrupted the connection at the
//   first such exchange while our host-key check answered asynchronously);
// - a root session, as every ESXi login is: sshd refuses signal requests for it and keeps the channel until
//   the process ends, so a hung command's timeout must not wait for the host;
// - passwords through PAM, as ESXi takes them: a refused one is one failed login in sshd's log, never a
//   second through the `password` method a host may also allow; a host that takes keys only gets none.
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { EsxiSshSession } from "./esxi-ssh-session.js";
import type { EsxiSshSessionEvent } from "./esxi-ssh-session.js";
import { SshAuthError, SshCommandTimeoutError } from "./esxi-ssh-errors.js";
import { KnownHostsFile } from "./known-hosts-file.js";
import { shellCommand } from "./shell-command.js";

/** ESXi 8.0.2's sshd_config lines that shape the transport, but its rekey limit: 1G, 1H there. */
const ESXI8_SSHD_TRANSPORT = `ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
clientalivecountmax 3
clientaliveinterval 200
hostkeyalgorithms ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-256,rsa-sha2-512
kexalgorithms ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256
macs hmac-sha2-256,hmac-sha2-512
maxstartups 10:30:100
compression no
`;

const MIB = 1024 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface RealSshd {
  port: number;
  dir: string;
  /** Its log so far (LogLevel DEBUG1). */
  log: string[];
  /** Resolves once a line of the log matches. */
  logged: (pattern: RegExp) => Promise<void>;
}

/** Keys only, no PAM: what the transfer tests need. */
const KEY_LOGIN_ONLY = "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n";

/** A real sshd on a free loopback port, logging to `log`; stopped (by its PID) when the test ends. */
async function startOpenSsh(t: TestContext, extraConfig: string, loginConfig = KEY_LOGIN_ONLY): Promise<RealSshd> {
  const dir = mkdtempSync(join(tmpdir(), "real-sshd-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keygen = (name: string, type: string, bits: string): void => void execFileSync("ssh-keygen", ["-q", "-t", type, "-b", bits, "-N", "", "-C", "", "-f", join(dir, name)]);
  keygen("host_rsa", "rsa", "3072");
  keygen("host_ecdsa", "ecdsa", "256");
  keygen("user_ecdsa", "ecdsa", "256");
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "user_ecdsa.pub")), { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, "sshd_config"),
    `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${join(dir, "host_rsa")}\nHostKey ${join(dir, "host_ecdsa")}\nAuthorizedKeysFile ${join(dir, "authorized_keys")}\n` +
      `StrictModes no\nPidFile none\n${loginConfig}PermitRootLogin yes\nLogLevel DEBUG1\n` +
      `${ESXI8_SSHD_TRANSPORT}${extraConfig}`,
  );
  // sshd running as root wants its privilege separation directory, which a container may lack.
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  t.after(() => void sshd.kill());
  const log: string[] = [];
  const waiting: { pattern: RegExp; resolve: () => void }[] = [];
  const lines = createInterface({ input: sshd.stderr });
  lines.on("line", (line) => {
    log.push(line);
    for (const waiter of waiting.filter((w) => w.pattern.test(line))) waiter.resolve();
  });
  const logged = (pattern: RegExp): Promise<void> =>
    log.some((line) => pattern.test(line)) ? Promise.resolve() : new Promise((resolve) => waiting.push({ pattern, resolve }));
  await Promise.race([logged(/^Server listening on 127\.0\.0\.1 port/u), once(sshd, "exit").then(([code]) => Promise.reject(new Error(`sshd exited (${String(code)}): ${log.join("\n")}`)))]);
  return { port, dir, log, logged };
}

function openSession(server: { port: number; dir: string }, events: EsxiSshSessionEvent[] = []): Promise<EsxiSshSession> {
  return EsxiSshSession.open({
    target: { host: "127.0.0.1", port: server.port, user: userInfo().username, privateKey: readFileSync(join(server.dir, "user_ecdsa")) },
    knownHosts: new KnownHostsFile(join(server.dir, "known_hosts")),
    reconnectAttempts: 1,
    onEvent: (event) => events.push(event),
  });
}

test("server-initiated key exchanges during transfers on several channels: every byte arrives, the connection stays up", async (t) => {
  const server = await startOpenSsh(t, "rekeylimit 2M 10s\n");
  const log = server.log;
  const events: EsxiSshSessionEvent[] = [];
  const session = await openSession(server, events);
  try {
    // Each payload goes up on stdin and comes back on stdout: both directions cross many key exchanges.
    const payloads = Array.from({ length: 4 }, () => randomBytes(6 * MIB));
    const echoed = await Promise.all(payloads.map((data) => session.exec(shellCommand(["cat"]), { stdin: data, timeoutMs: 120_000 })));
    const digest = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
    assert.deepEqual(echoed.map((result) => digest(result.stdout)), payloads.map(digest));
  } finally {
    await session.close();
  }
  assert.deepEqual(events.map((event) => event.type), ["host-key-pinned", "connected"]);
  // The server did start exchanges mid-transfer (its first one is the handshake's).
  const exchanges = log.filter((line) => line.includes("SSH2_MSG_KEXINIT sent")).length;
  assert.ok(exchanges > 4, `sshd started ${exchanges} key exchanges:\n${log.join("\n")}`);
});

test("a hung command of a root session fails at its timeout, though sshd refuses to signal it and keeps its channel", { timeout: 60_000 }, async (t) => {
  const server = await startOpenSsh(t, "");
  const session = await openSession(server);
  t.after(() => session.close());
  const started = Date.now();
  // The host keeps this one running until it ends by itself, 8 s on: the timeout must not wait for that.
  const error = await session.exec(shellCommand(["sleep", "8.125"]), { timeoutMs: 300 }).then(
    () => assert.fail("the command must time out"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SshCommandTimeoutError, String(error));
  assert.ok(Date.now() - started < 5000, `the timeout took ${Date.now() - started} ms`);
  // The session goes on beside the channel the host still holds.
  assert.equal((await session.exec(shellCommand(["echo", "next"]))).stdout.toString(), "next\n");
  // As root (ESXi's only login) sshd refused the KILL ("session signalling requires privilege separation"):
  // the command still runs there.
  if (process.getuid?.() === 0) assert.match((await session.exec(shellCommand(["pgrep", "-f", "sleep 8.125"]))).stdout.toString(), /^\d+\n$/u);
});

/** The password of a user with none set, or a wrong one: PAM refuses it, as a host refuses a wrong password. */
function openWithPassword(server: RealSshd): Promise<unknown> {
  return EsxiSshSession.open({
    target: { host: "127.0.0.1", port: server.port, user: userInfo().username, password: `wrong-${randomBytes(6).toString("hex")}` },
    knownHosts: new KnownHostsFile(join(server.dir, "known_hosts")),
    reconnectAttempts: 3,
    reconnectDelayMs: () => 0,
  }).catch((error: unknown) => error);
}

test("a refused password is one failed login in sshd's log, though the host also allows the password method", async (t) => {
  const server = await startOpenSsh(t, "", "UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication yes\n");
  const error = await openWithPassword(server);
  assert.ok(error instanceof SshAuthError, String(error));
  assert.deepEqual(error.methodsTried, ["keyboard-interactive"]);
  // sshd has logged every attempt once it logs the connection's end.
  await server.logged(/^Connection closed/u);
  assert.deepEqual(server.log.filter((line) => line.startsWith("Failed ")).map((line) => line.replace(/ for .*/u, "")), ["Failed keyboard-interactive/pam"], server.log.join("\n"));
});

test("a host that takes keys only gets no password, and the refusal says to log in with a key", async (t) => {
  const server = await startOpenSsh(t, "");
  const error = await openWithPassword(server);
  assert.ok(error instanceof SshAuthError, String(error));
  assert.match(error.message, /the host accepts publickey\): the host takes no password \(its sshd allows key logins only\); log in with a key listed in \/etc\/ssh\/keys-[^/]+\/authorized_keys$/u);
  assert.equal(server.log.filter((line) => /^(Failed|Accepted|Postponed) /u.test(line)).length, 0, server.log.join("\n"));
});
