// Against a real OpenSSH sshd set up as ESXi 8.0.2's (esxi-facts §4: its algorithm lines verbatim), whose
// `rekeylimit 1G, 1H` is scaled down so that the server starts key exchanges while channels carry data, as
// a real host does every gigabyte or hour of a backup: uploads and downloads on several channels at once
// arrive whole, over the one connection, which is never dropped. (ssh2 corrupted the connection at the
// first such exchange while our host-key check answered asynchronously.)
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { EsxiSshSession } from "./esxi-ssh-session.js";
import type { EsxiSshSessionEvent } from "./esxi-ssh-session.js";
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

test("server-initiated key exchanges during transfers on several channels: every byte arrives, the connection stays up", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rekey-sshd-"));
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
      `StrictModes no\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin yes\nLogLevel DEBUG1\n` +
      `${ESXI8_SSHD_TRANSPORT}rekeylimit 2M 10s\n`,
  );
  // sshd running as root wants its privilege separation directory, which a container may lack.
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  t.after(() => void sshd.kill());
  const log: string[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    sshd.once("exit", (code) => reject(new Error(`sshd exited (${code}): ${log.join("\n")}`)));
    createInterface({ input: sshd.stderr }).on("line", (line) => {
      log.push(line);
      if (/^Server listening on 127\.0\.0\.1 port/u.test(line)) resolve();
    });
  });
  await listening;

  const events: EsxiSshSessionEvent[] = [];
  const session = await EsxiSshSession.open({
    target: { host: "127.0.0.1", port, user: userInfo().username, privateKey: readFileSync(join(dir, "user_ecdsa")) },
    knownHosts: new KnownHostsFile(join(dir, "known_hosts")),
    reconnectAttempts: 1,
    onEvent: (event) => events.push(event),
  });
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
