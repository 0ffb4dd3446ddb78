/**
 * A host whose whole reply to a command — the exec request's success, the output, the exit status, EOF and
 * the channel's close — reaches us in one read: what a fast command (`head` of a small cached file) gives
 * when our event loop was busy for a moment (a backup hashing and compressing beside it) or when the host
 * coalesces its writes. `exec` must still return the output. It once returned none, with exit status 0:
 * the channel had closed before the output was read (the flake "empty file, expected a VMDK descriptor").
 *
 * The host is ssh2's real server in this process, answering within the exec request's handler with Nagle
 * off: every packet is in our socket's buffer before this process gets to read any of it.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import ssh2 from "ssh2";
import { SshCommandFailedError } from "./esxi-ssh-errors.js";
import { EsxiSshSession } from "./esxi-ssh-session.js";
import { KnownHostsFile } from "./known-hosts-file.js";
import { sh } from "./shell-command.js";

const PASSWORD = "reply-in-one-read";
const DESCRIPTOR = '# Disk DescriptorFile\nversion=1\ncreateType="vmfs"\nRW 2097152 VMFS "web01-flat.vmdk"\n';

describe("a command whose whole reply arrives in one read", () => {
  let work: string;
  let tcp: TcpServer;
  let session: EsxiSshSession;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "esxbackup-one-read-"));
    const ssh = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync("ecdsa", { bits: 256 }).private] }, (client) => {
      client.on("error", () => undefined);
      client.on("authentication", (ctx) => {
        if (ctx.method === "keyboard-interactive") return ctx.prompt([{ prompt: "Password: ", echo: false }], (answers) => (answers[0] === PASSWORD ? ctx.accept() : ctx.reject()));
        if (ctx.method === "password" && ctx.password === PASSWORD) return ctx.accept();
        return ctx.reject(["keyboard-interactive", "password"]);
      });
      client.on("ready", () => {
        client.on("session", (acceptSession) => {
          acceptSession().on("exec", (acceptExec, _reject, info) => {
            // The success reply (sent by accept), then everything else, all before this handler returns.
            const channel = acceptExec();
            const failing = info.command.includes("missing");
            if (failing) channel.stderr.write("head: missing: No such file or directory\n");
            else channel.write(DESCRIPTOR);
            channel.exit(failing ? 1 : 0);
            channel.eof();
            channel.close();
          });
        });
      });
    });
    tcp = createServer((socket) => {
      socket.setNoDelay(true);
      ssh.injectSocket(socket);
    });
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    session = await EsxiSshSession.open({
      target: { host: "127.0.0.1", port: (tcp.address() as AddressInfo).port, user: "root", password: PASSWORD },
      knownHosts: new KnownHostsFile(join(work, "known_hosts")),
    });
  });
  after(async () => {
    await session.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    rmSync(work, { recursive: true, force: true });
  });

  it("returns the output, every time", async () => {
    for (let run = 0; run < 20; run += 1) {
      const result = await session.exec(sh`head -c ${1024 * 1024 + 1} ${"/vmfs/volumes/datastore1/web01/web01.vmdk"}`);
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout.toString("utf8"), DESCRIPTOR, `run ${run + 1}`);
    }
  });

  it("returns the output of commands run at once on parallel channels", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => session.exec(sh`head -c 100 ${"web01.vmdk"}`)));
    assert.deepEqual(
      results.map((result) => result.stdout.toString("utf8")),
      results.map(() => DESCRIPTOR),
    );
  });

  it("still fails a failing command with its exit status and stderr", async () => {
    await assert.rejects(session.exec(sh`head -c 100 ${"missing"}`), (error: unknown) => {
      assert.ok(error instanceof SshCommandFailedError);
      assert.match(error.message, /No such file or directory/);
      return true;
    });
  });
});
