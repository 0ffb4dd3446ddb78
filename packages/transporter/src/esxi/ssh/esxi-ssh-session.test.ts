/**
 * The session layer against simulated ESXi 6.7, 7.0 and 8.0 hosts over real SSH: keyboard-interactive and
 * key logins, the algorithms negotiated, host-key pinning and a changed key, a wrong password, a connection
 * dropped in the middle of a command, a hung command, and the password never showing up anywhere.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { ESXI_VERSIONS } from "@esxbackup/domain";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import type { TestHost } from "../testing/simulated-esxi-host.js";
import { esxiSshAlgorithms } from "./esxi-ssh-algorithms.js";
import { HostKeyChangedError, SshAuthError, SshCommandCancelledError, SshCommandFailedError, SshCommandTimeoutError, SshConnectionLostError } from "./esxi-ssh-errors.js";
import type { EsxiSshSession } from "./esxi-ssh-session.js";
import { sh } from "./shell-command.js";

const ONE_MIB = 1024 * 1024;

/**
 * Waits on the host until the process has ended (gone, or a zombie): the host kills asynchronously once the
 * channel is closed. Bounded by the command timeout, far below the 600 s the commands would otherwise run.
 */
function waitUntilEnded(pid: string) {
  return sh`while [ -e /proc/${pid}/status ] && ! grep -q '^State:.*Z' /proc/${pid}/status; do :; done; echo gone`;
}

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

for (const version of ESXI_VERSIONS) {
  describe(`SSH session to a simulated ESXi ${version} host`, () => {
    let t: TestHost;
    let session: EsxiSshSession;
    /** Everything a user or a log could ever see, checked for the password at the end. */
    const seen: string[] = [];
    const record = (error: unknown): unknown => {
      for (let e: unknown = error; e instanceof Error; e = e.cause) seen.push(String(e), e.stack ?? "", JSON.stringify(e));
      return error;
    };
    let ecdsaKey: string;
    let rsaKey: string;
    let keyDir: string;

    before(async () => {
      const { mkdtempSync } = await import("node:fs");
      const { tmpdir } = await import("node:os");
      keyDir = mkdtempSync(join(tmpdir(), "esxbackup-key-"));
      execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-N", "", "-C", "test", "-f", join(keyDir, "id")]);
      execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "test", "-f", join(keyDir, "rsa")]);
      ecdsaKey = readFileSync(join(keyDir, "id"), "utf8");
      rsaKey = readFileSync(join(keyDir, "rsa"), "utf8");
      const authorizedKeys = ["id.pub", "rsa.pub"].map((name) => readFileSync(join(keyDir, name), "utf8").trim());
      t = await startTestHost({ esxiVersion: version, authorizedKeys });
      session = await t.open();
    });
    after(async () => {
      await t.stop();
      const { rmSync } = await import("node:fs");
      rmSync(keyDir, { recursive: true, force: true });
    });

    it("logs in with the password through keyboard-interactive and runs a command", async () => {
      const result = await session.exec(sh`echo hello; echo oops >&2; exit 0`);
      assert.equal(result.stdout.toString(), "hello\n");
      assert.equal(result.stderr.toString(), "oops\n");
      assert.equal(result.exitCode, 0);
      seen.push(result.stdout.toString(), result.stderr.toString());
    });

    it("negotiates AES-GCM, ECDH and an ECDSA host key from the release's algorithm set", () => {
      const negotiated = session.negotiated;
      assert.deepEqual(negotiated, { kex: "ecdh-sha2-nistp256", serverHostKey: "ecdsa-sha2-nistp256", cipher: "aes128-gcm@openssh.com", mac: "" });
      const offered = esxiSshAlgorithms(version);
      assert.ok(offered.cipher.every((c) => c.startsWith("aes")), "only AES ciphers are offered");
    });

    it("pins the host key on first use in its own known-hosts file, as ssh-keygen reads it", () => {
      const text = readFileSync(t.knownHosts.path, "utf8");
      assert.match(text, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${t.host.port} ecdsa-sha2-nistp256 AAAA\\S+\\n$`, "u"));
      const listed = execFileSync("ssh-keygen", ["-lf", t.knownHosts.path], { encoding: "utf8" });
      const pinnedEvent = t.events.find((e) => e.type === "host-key-pinned");
      assert.ok(pinnedEvent?.type === "host-key-pinned");
      assert.ok(listed.includes(pinnedEvent.fingerprint), `ssh-keygen lists ${listed.trim()}, we printed ${pinnedEvent.fingerprint}`);
      assert.ok(t.host.hostKeyFingerprints.includes(pinnedEvent.fingerprint), "the fingerprint is the host's own");
    });

    it("logs in with an ECDSA or an RSA 3072 key and no password", async () => {
      for (const privateKey of [ecdsaKey, rsaKey]) {
        const keySession = await t.open({ target: { host: "127.0.0.1", port: t.host.port, user: "root", privateKey } });
        const result = await keySession.exec(sh`echo key`);
        assert.equal(result.stdout.toString(), "key\n");
        await keySession.close();
      }
    });

    it("reports a command's non-zero exit with its status and stderr, or returns it when asked", async () => {
      const error = await session.exec(sh`echo "no such thing" >&2; exit 3`).then(
        () => assert.fail("a failing command must throw"),
        (e: unknown) => record(e),
      );
      assert.ok(error instanceof SshCommandFailedError);
      assert.equal(error.exitCode, 3);
      assert.match(error.message, /exit code 3: no such thing/u);
      const unchecked = await session.exec(sh`exit 5`, { check: false });
      assert.equal(unchecked.exitCode, 5);
    });

    it("refuses a wrong password with a clear error and does not retry it", async () => {
      const error = await t.open({ target: { host: "127.0.0.1", port: t.host.port, user: "root", password: `${t.password}x` } }).then(
        () => assert.fail("a wrong password must not log in"),
        (e: unknown) => record(e),
      );
      assert.ok(error instanceof SshAuthError, String(error));
      assert.deepEqual(error.methodsTried, ["keyboard-interactive"]);
      assert.match(error.message, /login as root refused \(tried keyboard-interactive; the host accepts publickey, keyboard-interactive\): the password was not accepted/u);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${t.host.port}`, "u"));
    });

    it("kills a hung command at its timeout and says so", async () => {
      const pidFile = `/tmp/hung-${version}.pid`;
      const error = await session.exec(sh`echo $$ > ${pidFile}; exec sleep 600`, { timeoutMs: 500 }).then(
        () => assert.fail("the command must time out"),
        (e: unknown) => record(e),
      );
      assert.ok(error instanceof SshCommandTimeoutError, String(error));
      assert.match(error.message, /no result within 500 ms from `echo \$\$ > .*sleep 600`; stopped \(KILL sent and its channel closed\)/u);
      const pid = (await session.exec(sh`cat ${pidFile}`)).stdout.toString().trim();
      assert.match(pid, /^\d+$/u);
      const state = await session.exec(waitUntilEnded(pid), { timeoutMs: 20_000 });
      assert.equal(state.stdout.toString(), "gone\n", "the hung command is no longer running on the host");
    });

    it("fails a command cut off by a dropped connection, then reconnects for the next one", async () => {
      t.host.faults.dropConnectionAfterBytes = 256 * 1024;
      const dropped = await t.open();
      t.host.faults.dropConnectionAfterBytes = null;
      const error = await dropped.exec(sh`dd if=/dev/zero bs=65536 count=32 2>/dev/null`).then(
        () => assert.fail("the output cannot arrive whole"),
        (e: unknown) => record(e),
      );
      assert.ok(error instanceof SshConnectionLostError, String(error));
      const next = await dropped.exec(sh`dd if=/dev/zero bs=65536 count=32 2>/dev/null`);
      assert.equal(next.stdout.length, 2 * ONE_MIB);
      assert.equal(dropped.connectionCount, 2);
    });

    it("runs a command marked safe to repeat again on a new connection after a drop", async () => {
      t.host.faults.dropConnectionAfterBytes = 256 * 1024;
      let lost = 0;
      const dropped = await t.open({
        onEvent: (event) => {
          t.events.push(event);
          if (event.type === "connection-lost") {
            lost++;
            t.host.faults.dropConnectionAfterBytes = null;
          }
        },
      });
      const result = await dropped.exec(sh`dd if=/dev/zero bs=65536 count=32 2>/dev/null | tr '\\0' x`, { retryOnConnectionLost: true });
      assert.equal(result.stdout.length, 2 * ONE_MIB);
      assert.ok(result.stdout.every((byte) => byte === 0x78));
      assert.equal(lost, 1);
      assert.equal(dropped.connectionCount, 2);
    });

    it("streams a large output with backpressure", async () => {
      const stream = await session.execStream(sh`dd if=/dev/zero bs=1048576 count=16 2>/dev/null`);
      let bytes = 0;
      for await (const chunk of stream.stdout) bytes += (chunk as Buffer).length;
      const outcome = await stream.result;
      assert.equal(bytes, 16 * ONE_MIB);
      assert.equal(outcome.exitCode, 0);
    });

    it("uploads a stream into a command's stdin with backpressure, and kills the command when the source fails", async () => {
      const data = randomBytes(8 * ONE_MIB);
      const upload = await session.execStream(sh`cat > /tmp/upload.bin && sha256sum /tmp/upload.bin`, { stdin: Readable.from(chunksOf(data, 256 * 1024)) });
      const printed: Buffer[] = [];
      for await (const chunk of upload.stdout) printed.push(chunk as Buffer);
      await upload.result;
      assert.equal(Buffer.concat(printed).toString().split(" ")[0], createHash("sha256").update(data).digest("hex"));

      const failing = Readable.from(
        (async function* () {
          yield data.subarray(0, ONE_MIB);
          throw new Error("repository read failed");
        })(),
      );
      const broken = await session.execStream(sh`cat > /tmp/upload-broken.bin; echo finished`, { stdin: failing });
      await assert.rejects(broken.result, /repository read failed/u);
    });

    it("stops a stream that goes quiet, and one its caller cancels, with typed errors", async () => {
      const quiet = await session.execStream(sh`echo started; exec sleep 600`, { idleTimeoutMs: 300 });
      const chunks: Buffer[] = [];
      const streamError = await (async () => {
        for await (const chunk of quiet.stdout) chunks.push(chunk as Buffer);
      })().then(
        () => assert.fail("a quiet stream must not end as if complete"),
        (e: unknown) => record(e),
      );
      assert.equal(Buffer.concat(chunks).toString(), "started\n");
      assert.ok(streamError instanceof SshCommandTimeoutError, String(streamError));
      await assert.rejects(quiet.result, SshCommandTimeoutError);

      const controller = new AbortController();
      const cancelled = await session.execStream(sh`echo go; exec sleep 600`, { signal: controller.signal });
      cancelled.stdout.once("data", () => controller.abort());
      await assert.rejects(cancelled.result, SshCommandCancelledError);

      const abandoned = await session.execStream(sh`echo $$; exec dd if=/dev/zero bs=65536 count=100000 2>/dev/null`);
      const pid = await new Promise<string>((resolve) => abandoned.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().split("\n")[0] ?? "")));
      abandoned.stdout.destroy();
      await assert.rejects(abandoned.result, SshCommandCancelledError);
      const state = await session.exec(waitUntilEnded(pid), { timeoutMs: 20_000 });
      assert.equal(state.stdout.toString(), "gone\n", "a reader that goes away stops the command on the host");
    });

    it("refuses a changed host key with both fingerprints and how to accept the new one", async () => {
      const before = readFileSync(t.knownHosts.path, "utf8");
      const pinned = t.events.find((e) => e.type === "host-key-pinned");
      assert.ok(pinned?.type === "host-key-pinned");
      await t.host.rotateHostKey();
      const error = await t.open().then(
        () => assert.fail("a changed host key must be refused"),
        (e: unknown) => record(e),
      );
      assert.ok(error instanceof HostKeyChangedError, String(error));
      assert.deepEqual(error.pinnedFingerprints, [pinned.fingerprint]);
      assert.ok(t.host.hostKeyFingerprints.includes(error.presentedFingerprint), "the presented key is the host's new one");
      assert.notEqual(error.presentedFingerprint, pinned.fingerprint);
      assert.ok(error.message.includes(pinned.fingerprint) && error.message.includes(error.presentedFingerprint), error.message);
      assert.ok(error.message.includes(`esxbackup hosts trust --host 127.0.0.1:${t.host.port} --fingerprint ${error.presentedFingerprint}`), error.message);
      assert.equal(readFileSync(t.knownHosts.path, "utf8"), before, "the pinned key is left as it was");
      // The open session reconnects with the same check: the changed key is refused there too.
      await session.close();
    });

    it("never shows the password: not in errors, events, outputs, the known-hosts file or any command line on the host", async () => {
      const probe = await t.open({ knownHosts: new (await import("./known-hosts-file.js")).KnownHostsFile(join(t.work, "known_hosts_2")) });
      const cmdlines = await probe.exec(sh`for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f"; echo; done`, { check: false });
      assert.ok(cmdlines.stdout.toString().includes("sh -c"), "the host's command lines were read");
      seen.push(cmdlines.stdout.toString("latin1"), readFileSync(t.knownHosts.path, "utf8"), JSON.stringify(t.events));
      seen.push(readFileSync("/proc/self/cmdline", "latin1"));
      assert.ok(seen.length > 20, "errors and outputs were collected");
      for (const text of seen) assert.ok(!text.includes(t.password), `the password appears in: ${text.slice(0, 200)}`);
      await probe.close();
    });
  });
}
