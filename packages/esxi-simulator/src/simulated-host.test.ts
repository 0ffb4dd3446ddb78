/**
 * The simulated host's SSH side and shell, driven by the real OpenSSH client. The host model is replaced by
 * a stub `HostTools` that echoes its invocation, so these tests pin the SSH server, the sandbox and the
 * bridge; e2e/snapshot-over-ssh.test.ts runs the real model behind them.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { parseHostConfig } from "./config/simulator-config.js";
import type { HostConfig } from "./config/simulator-config.js";
import type { HostTools } from "./host-tools.js";
import { SimulatedHost } from "./simulated-host.js";
import type { HostBackend } from "./simulated-host.js";
import { OpenSshTestClient } from "./ssh/openssh-test-client.js";

const password = randomBytes(12).toString("base64url");
const work = mkdtempSync(join(tmpdir(), "esxsim-test-"));

const echoTools: HostTools = {
  run: (invocation) =>
    Promise.resolve({
      stdout: Buffer.from(`${JSON.stringify(invocation)}\n`),
      stderr: Buffer.from(`note from ${invocation.tool}\n`),
      exitCode: invocation.args[0] === "fail" ? 4 : 0,
    }),
};
const stubBackend = (): Promise<HostBackend> => Promise.resolve({ tools: echoTools, start: () => Promise.resolve(), stop: () => Promise.resolve() });

function keygen(type: "rsa" | "ed25519"): { file: string; publicKey: string } {
  const file = join(work, `id_${type}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "3072"] : []), "-N", "", "-C", `test-${type}`, "-f", file]);
  return { file, publicKey: readFileSync(`${file}.pub`, "utf8").trim() };
}

function hostConfig(overrides: Record<string, unknown>): HostConfig {
  return parseHostConfig(
    {
      name: "esx01",
      datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1024 * 1024 * 1024 }],
      ...overrides,
    },
    "test",
  );
}

function startHost(name: string, config: HostConfig): Promise<SimulatedHost> {
  return SimulatedHost.start(config, { stateDir: join(work, name), clock: systemClock, openBackend: stubBackend });
}

describe("simulated ESXi 8.0 host over OpenSSH", () => {
  let host: SimulatedHost;
  let ssh: OpenSshTestClient;
  let rsa: { file: string; publicKey: string };
  let ed25519: { file: string; publicKey: string };
  let config: HostConfig;

  before(async () => {
    rsa = keygen("rsa");
    ed25519 = keygen("ed25519");
    config = hostConfig({
      esxiVersion: "8.0",
      ssh: { port: 0, users: [{ name: "root", password, authorizedKeys: [rsa.publicKey, ed25519.publicKey] }] },
    });
    host = await startHost("esx8", config);
    ssh = new OpenSshTestClient({ port: host.port, user: "root", dir: work });
  });
  after(async () => {
    await host.stop();
  });

  it("accepts the password through keyboard-interactive", async () => {
    const result = await ssh.run("echo hello", { password });
    assert.equal(result.stderr, "");
    assert.equal(result.stdout.toString(), "hello\n");
    assert.equal(result.code, 0);
  });

  it("refuses the password method, as passwordauthentication no does", async () => {
    const result = await ssh.run("true", { password, args: ["-o", "PreferredAuthentications=password"] });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied \(publickey,keyboard-interactive\)/u);
  });

  it("refuses a wrong password with ESXi's method list", async () => {
    const result = await ssh.run("true", { password: `${password}x` });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Permission denied \(publickey,keyboard-interactive\)/u);
  });

  it("counts the bytes on the SSH wire, of closed connections too", async () => {
    const mib = 1024 * 1024;
    const before = host.sshWireBytes;
    // Two connections, one after the other: by the time the second has returned, the first is closed.
    for (let i = 0; i < 2; i++) {
      const result = await ssh.run("dd if=/dev/zero bs=65536 count=16 2>/dev/null", { password });
      assert.equal(result.stdout.length, mib);
    }
    const after = host.sshWireBytes;
    const sent = after.sentBytes - before.sentBytes;
    const received = after.receivedBytes - before.receivedBytes;
    // Each connection: 1 MiB of output plus the handshake, packet headers and MACs (a few KiB).
    assert.ok(sent >= 2 * mib && sent < 2 * mib + 64 * 1024, `sent ${sent}`);
    assert.ok(received > 0 && received < 32 * 1024, `received ${received}`);
  });

  it("offers no chacha20-poly1305", async () => {
    const result = await ssh.run("true", { password, args: ["-o", "LogLevel=INFO", "-c", "chacha20-poly1305@openssh.com"] });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /no matching cipher/u);
    const gcm = await ssh.run("true", { password, args: ["-c", "aes128-gcm@openssh.com"] });
    assert.equal(gcm.code, 0);
  });

  it("announces an OpenSSH banner", async () => {
    const banner = await new Promise<string>((resolve, reject) => {
      const nc = spawn("ssh-keyscan", ["-p", String(host.port), "-t", "ecdsa", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      nc.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      nc.on("error", reject);
      nc.on("close", () => resolve(err));
    });
    assert.match(banner, /SSH-2\.0-OpenSSH_9\.1/u);
  });

  it("accepts an RSA user key and refuses an ed25519 one", async () => {
    const good = await ssh.run("echo key", { identity: rsa.file });
    assert.equal(good.stdout.toString(), "key\n", good.stderr);
    const bad = await ssh.run("echo key", { identity: ed25519.file });
    assert.equal(bad.code, 255);
    assert.match(bad.stderr, /Permission denied \(publickey,keyboard-interactive\)/u);
  });

  it("runs commands in busybox ash with ESXi's environment and passes exit status and streams through", async () => {
    const result = await ssh.run('echo "$PATH $HOME $USER $SHELL"; pwd; echo to-stderr >&2; exit 42', { password });
    assert.equal(result.code, 42);
    assert.equal(result.stdout.toString(), "/bin:/sbin / root /bin/sh\n/\n");
    assert.equal(result.stderr, "to-stderr\n");
  });

  it("has dd and md5sum as busybox applets, a real Python 3, ESXi's paths", async () => {
    const result = await ssh.run(
      "readlink /bin/dd; readlink /bin/md5sum; busybox --list | grep -x md5sum; python -c 'import sys; print(sys.version_info[0])'; ls -d /vmfs/volumes /tmp /etc/ssh/keys-root; ls /bin/vim-cmd /sbin/vmkfstools /bin/esxcli /bin/vmware",
      { password },
    );
    assert.equal(result.stderr, "");
    assert.equal(
      result.stdout.toString(),
      "busybox\nbusybox\nmd5sum\n3\n/etc/ssh/keys-root\n/tmp\n/vmfs/volumes\n/bin/esxcli\n/bin/vim-cmd\n/bin/vmware\n/sbin/vmkfstools\n",
    );
  });

  it("forwards vim-cmd's argv and working directory through the bridge, byte for byte", async () => {
    const names = ["a b", "[x] y", `q"uote'`, "$HOME", "semi;colon", "ünïcødé ✓"];
    const quoted = names.map((n) => `'${n.replace(/'/gu, `'\\''`)}'`).join(" ");
    const result = await ssh.run(`cd /tmp && vim-cmd vmsvc/getallvms ${quoted}`, { password });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.toString()), { tool: "vim-cmd", args: ["vmsvc/getallvms", ...names], cwd: "/tmp" });
    assert.equal(result.stderr, "note from vim-cmd\n");
    const failing = await ssh.run("vmkfstools fail", { password });
    assert.equal(failing.code, 4);
  });

  it("streams large output intact", async () => {
    const result = await ssh.run("dd if=/dev/zero bs=65536 count=256 2>/dev/null | md5sum; dd if=/dev/zero bs=65536 count=256 2>/dev/null", { password });
    assert.equal(result.code, 0);
    assert.equal(result.stdout.subarray(0, 36).toString(), "2c7ab85a893283e98c931e9511add182  -\n");
    assert.equal(result.stdout.length, 36 + 16 * 1024 * 1024);
  });

  it("cuts the connection after N bytes when told to", async () => {
    host.faults.dropConnectionAfterBytes = 200_000;
    try {
      const result = await ssh.run("dd if=/dev/zero bs=65536 count=160 2>/dev/null", { password });
      assert.equal(result.code, 255);
      assert.ok(result.stdout.length < 200_000, `got ${result.stdout.length} bytes`);
    } finally {
      host.faults.dropConnectionAfterBytes = null;
    }
  });

  it("cuts the next connection after N bytes received when told to, and only that one", async () => {
    host.faults.dropConnectionsAfterReceivedBytes = { bytes: 200_000, connections: 1 };
    try {
      const cut = await ssh.run("wc -c", { password, stdin: Buffer.alloc(1024 * 1024) });
      assert.equal(cut.code, 255);
      assert.equal(host.faults.dropConnectionsAfterReceivedBytes, null, "the setting cleared itself");
      const whole = await ssh.run("wc -c", { password, stdin: Buffer.alloc(1024 * 1024) });
      assert.equal(whole.code, 0);
      assert.equal(whole.stdout.toString().trim(), String(1024 * 1024));
    } finally {
      host.faults.dropConnectionsAfterReceivedBytes = null;
    }
  });

  it("throttles a channel", async () => {
    host.faults.throttleBytesPerSecond = 256 * 1024;
    try {
      const started = performance.now();
      const result = await ssh.run("dd if=/dev/zero bs=65536 count=4 2>/dev/null", { password });
      const elapsedMs = performance.now() - started;
      assert.equal(result.stdout.length, 256 * 1024);
      assert.ok(elapsedMs >= 800, `took ${elapsedMs.toFixed(0)} ms`);
    } finally {
      host.faults.throttleBytesPerSecond = null;
    }
  });

  it("rejects logins when told to", async () => {
    host.faults.rejectLogins = true;
    try {
      const result = await ssh.run("true", { password });
      assert.match(result.stderr, /Permission denied/u);
    } finally {
      host.faults.rejectLogins = false;
    }
  });

  it("kills the command's process group when the client goes away", async () => {
    const client = spawn(
      "sshpass",
      ["-e", "ssh", "-F", "/dev/null", "-p", String(host.port), "-o", `UserKnownHostsFile=${join(work, "known_hosts")}`, "-o", "PubkeyAuthentication=no", "-o", "LogLevel=ERROR", "root@127.0.0.1", "sleep 300 & echo $!; wait"],
      { env: { PATH: process.env["PATH"], SSHPASS: password }, stdio: ["pipe", "pipe", "inherit"] },
    );
    const pid = await new Promise<number>((resolve) => client.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    assert.ok(pid > 0);
    assert.doesNotThrow(() => process.kill(pid, 0));
    const exited = new Promise((resolve) => client.once("close", resolve));
    client.kill("SIGKILL");
    await exited;
    const deadline = performance.now() + 5000;
    while (isAlive(pid) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(isAlive(pid), false);
  });

  it("keeps its host key across restarts and changes it after rotation", async () => {
    const before = host.hostKeyFingerprints;
    const port = host.port;
    await host.stop();
    host = await startHost("esx8", { ...config, ssh: { ...config.ssh, port } });
    assert.deepEqual(host.hostKeyFingerprints, before);
    const same = await ssh.run("true", { password, strictHostKeyChecking: "yes" });
    assert.equal(same.code, 0, same.stderr);
    await host.rotateHostKey();
    assert.notDeepEqual(host.hostKeyFingerprints, before);
    const changed = await ssh.run("true", { password, strictHostKeyChecking: "yes" });
    assert.equal(changed.code, 255);
    assert.match(changed.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/u);
  });
});

describe("simulated ESXi 6.7 host with applets switched off", () => {
  let host: SimulatedHost;
  let ssh: OpenSshTestClient;

  before(async () => {
    host = await startHost(
      "esx67",
      hostConfig({
        name: "esx67",
        esxiVersion: "6.7",
        ssh: { port: 0, users: [{ name: "root", password }] },
        shell: { disabledApplets: ["sha1sum"], python: false, refusedOptions: { dd: ["conv=", "iflag=", "oflag=", "ibs=", "obs="], head: ["-c"] } },
      }),
    );
    ssh = new OpenSshTestClient({ port: host.port, user: "root", dir: work });
  });
  after(async () => {
    await host.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("has no sha1sum and no python", async () => {
    const result = await ssh.run(
      "ls /bin/sha1sum; which sha1sum python python3; sha1sum /bin/busybox; echo sha1=$?; command -v sha1sum || echo cv=$?; echo /dev/null | xargs sha1sum; echo xargs=$?; python -V; echo py=$?; md5sum /dev/null",
      { password },
    );
    assert.equal(
      result.stdout.toString(),
      "sha1=127\ncv=127\nxargs=127\npy=127\nd41d8cd98f00b204e9800998ecf8427e  /dev/null\n",
    );
    assert.match(result.stderr, /sha1sum: not found/u);
    assert.match(result.stderr, /python: not found/u);
  });

  it("refuses the options its busybox was built without, as busybox does, and passes the rest to the applet", async () => {
    const refused = await ssh.run("printf abc > /tmp/f; echo xyz | dd of=/tmp/f bs=1 seek=1 conv=notrunc; echo dd=$?; cat /tmp/f; echo; head -c 1 /tmp/f; echo head=$?", { password });
    assert.equal(refused.stdout.toString(), "dd=1\nabc\nhead=1\n");
    assert.match(refused.stderr, /^BusyBox v1\.\d+\.\d+ .*multi-call binary\.\n\nUsage: dd \[if=FILE\] \[of=FILE\] \[bs=N\] \[count=N\] \[skip=N\] \[seek=N\]\n/u);
    assert.match(refused.stderr, /head: invalid option -- 'c'\nBusyBox v1/u);
    const allowed = await ssh.run("dd if=/dev/zero bs=4 count=2 2>/dev/null | wc -c; printf 'a\\nb\\n' | head -n 1; echo -n abc | dd bs=1 skip=1 2>/dev/null", { password });
    assert.equal(allowed.stdout.toString(), "8\na\nbc");
  });

  it("offers no chacha20 either (VMware: AES only on every release)", async () => {
    const result = await ssh.run("true", { password, args: ["-c", "chacha20-poly1305@openssh.com"] });
    assert.equal(result.code, 255);
    const ctr = await ssh.run("echo ok", { password, args: ["-c", "aes256-ctr"] });
    assert.equal(ctr.stdout.toString(), "ok\n");
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
