// A link that goes silent (no reset, no FIN: a cable pulled, a NAT entry dropped) is noticed by the SSH
// keep-alives: the command in flight fails as a lost connection instead of hanging. A TCP relay between the
// session and a simulated host swallows all traffic on request.
import { strict as assert } from "node:assert";
import { createConnection, createServer } from "node:net";
import type { Socket } from "node:net";
import { after, before, test } from "node:test";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import type { TestHost } from "../testing/simulated-esxi-host.js";
import { HostKeyNotTrustedError, SshConnectionLostError } from "./esxi-ssh-errors.js";
import { KnownHostsFile } from "./known-hosts-file.js";
import { sh } from "./shell-command.js";

let t: TestHost;
before(async () => {
  t = await startTestHost({ esxiVersion: "7.0" });
});
after(async () => {
  await t.stop();
});

test("keep-alives turn a silent link into a lost connection for the command in flight", async (context) => {
  const relays: { client: Socket; upstream: Socket }[] = [];
  const relay = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: t.host.port });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
    relays.push({ client, upstream });
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  context.after(() => {
    for (const { client, upstream } of relays) {
      client.destroy();
      upstream.destroy();
    }
    relay.close();
  });
  const port = (relay.address() as { port: number }).port;
  const lost: string[] = [];
  const session = await t.open({
    target: { host: "127.0.0.1", port, user: "root", password: t.password },
    knownHosts: new KnownHostsFile(`${t.work}/known_hosts_relay`),
    keepaliveIntervalMs: 100,
    keepaliveCountMax: 2,
    reconnectAttempts: 1,
    onEvent: (event) => {
      if (event.type === "connection-lost") lost.push(event.reason);
    },
  });
  const running = session.exec(sh`echo started; exec sleep 600`, { timeoutMs: 600_000 });
  // Go silent: keep both sockets open, drop every byte from now on.
  for (const { client, upstream } of relays) {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.on("data", () => undefined);
    upstream.on("data", () => undefined);
  }
  await assert.rejects(running, SshConnectionLostError);
  assert.equal(lost.length, 1);
  assert.match(lost[0] ?? "", /keepalive/iu);
});

test("with pinning required, an unknown host is refused with its fingerprint and how to pin it", async () => {
  const error = await t.open({ knownHosts: new KnownHostsFile(`${t.work}/known_hosts_empty`), hostKeyPolicy: "require-pinned" }).catch((e: unknown) => e);
  assert.ok(error instanceof HostKeyNotTrustedError, String(error));
  assert.ok(t.host.hostKeyFingerprints.includes(error.presentedFingerprint));
  assert.ok(error.message.includes(error.presentedFingerprint) && error.message.includes(`esxbackup hosts trust --host 127.0.0.1:${t.host.port}`), error.message);
});
