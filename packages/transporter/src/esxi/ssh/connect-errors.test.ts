// Nothing listening: a clear, retryable connect error after the configured attempts, each failed attempt
// reported; nothing pinned.
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SshConnectError } from "./esxi-ssh-errors.js";
import type { EsxiSshSessionEvent } from "./esxi-ssh-session.js";
import { EsxiSshSession } from "./esxi-ssh-session.js";
import { KnownHostsFile } from "./known-hosts-file.js";

test("a host that refuses connections fails with SshConnectError after every attempt", async (t) => {
  // A port that was free a moment ago and has nothing listening now.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));

  const folder = mkdtempSync(join(tmpdir(), "connect-"));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const knownHosts = new KnownHostsFile(join(folder, "known_hosts"));
  const events: EsxiSshSessionEvent[] = [];
  const delays: number[] = [];
  const error = await EsxiSshSession.open({
    target: { host: "127.0.0.1", port, user: "root", password: "secret-not-shown" },
    knownHosts,
    reconnectAttempts: 3,
    reconnectDelayMs: (attempt) => (delays.push(attempt), 0),
    onEvent: (event) => events.push(event),
  }).catch((e: unknown) => e);
  assert.ok(error instanceof SshConnectError, String(error));
  assert.equal(error.retryable, true);
  assert.match(error.message, new RegExp(`^127\\.0\\.0\\.1:${port}: cannot open an SSH connection: .*ECONNREFUSED`, "u"));
  // ESXi's usual reason is named: the SSH service is stopped (off after installation, or by ESXiShellTimeOut).
  assert.match(error.message, /ECONNREFUSED.*; is the host's SSH service \(TSM-SSH\) running\? ESXi starts with it stopped, and UserVars\.ESXiShellTimeOut stops it again/u);
  assert.deepEqual(delays, [1, 2]);
  assert.deepEqual(events.map((e) => e.type), ["connect-attempt-failed", "connect-attempt-failed"]);
  assert.ok(!JSON.stringify(events).includes("secret-not-shown") && !error.message.includes("secret-not-shown"));
  assert.equal(existsSync(knownHosts.path), false);
});

test("a host that accepts the connection and never speaks SSH: a timeout naming the handshake, not the login", async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket.on("error", () => undefined)));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const folder = mkdtempSync(join(tmpdir(), "connect-"));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const error = await EsxiSshSession.open({
    target: { host: "127.0.0.1", port, user: "root", password: "secret-not-shown" },
    knownHosts: new KnownHostsFile(join(folder, "known_hosts")),
    connectTimeoutMs: 300,
    reconnectAttempts: 1,
  }).catch((e: unknown) => e);
  assert.ok(error instanceof SshConnectError, String(error));
  assert.equal(error.retryable, true);
  assert.match(error.message, new RegExp(`: cannot open an SSH connection: no SSH handshake within 300 ms; is the address right, and is port ${port} open \\(ESXi's firewall: the sshServer ruleset\\)\\?$`, "u"));
});
