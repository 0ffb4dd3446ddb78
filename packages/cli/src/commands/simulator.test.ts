/**
 * `esxbackup simulator` as a process: it prints the host line, serves SSH, and on SIGTERM stops everything
 * it started and exits 0.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { OpenSshTestClient } from "@esxbackup/esxi-simulator";

const BIN = fileURLToPath(new URL("../../bin/esxbackup.js", import.meta.url));

describe("esxbackup simulator", () => {
  it("serves SSH, then exits 0 on SIGTERM leaving nothing running", async () => {
    const work = mkdtempSync(join(tmpdir(), "esxsim-cli-"));
    try {
      const child = spawn(process.execPath, [BIN, "simulator", "--state-dir", work, "--esxi-version", "8.0"], { stdio: ["ignore", "pipe", "inherit"] });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const lines = createInterface({ input: child.stdout });
      let password = "";
      let url: URL | undefined;
      const tryLine = await new Promise<string>((resolve, reject) => {
        lines.on("line", (line) => {
          const pw = /^password for root: (\S+)$/u.exec(line);
          if (pw) password = pw[1] as string;
          const host = /^host localhost (ssh:\/\/\S+)$/u.exec(line);
          if (host) url = new URL(host[1] as string);
          const next = /^try: (.*)$/u.exec(line);
          if (next) resolve(next[1] as string);
        });
        child.once("exit", () => reject(new Error("simulator exited before printing its host and try lines")));
      });
      assert.ok(password.length >= 12);
      assert.ok(url !== undefined, "the host line comes before the try line");
      // The closing note is the exact command that works: ssh to this port and user, listing the VMs.
      assert.equal(tryLine, `ssh -p ${url.port} root@127.0.0.1 vim-cmd vmsvc/getallvms`);
      const tried = await new OpenSshTestClient({ port: Number(url.port), user: "root", dir: work }).run(tryLine.split(" ").slice(4).join(" "), { password });
      assert.equal(tried.code, 0, tried.stderr);
      const ssh = new OpenSshTestClient({ port: Number(url.port), user: url.username, dir: work });
      const result = await ssh.run("vim-cmd vmsvc/getallvms | head -1; uname -s", { password });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.toString(), /^Vmid +Name +File/u);

      child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.deepEqual(processesMentioning(work), []);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** Processes whose command line contains `text` (the sandbox holder has the state dir in its argv). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/u.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(text)) found.push(`${pid} ${cmdline}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
