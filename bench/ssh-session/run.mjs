// Throughput of the transporter's SSH session against a simulated ESXi 8.0 host in its own process, next to
// the OpenSSH client over the same link: `dd if=/dev/zero` on the host, output discarded on our side, so
// what is measured is the SSH transport (cipher, MAC, windowing), not disks.
//   node bench/ssh-session/run.mjs [--mib 1024] [--channels 1,4]
// Needs `npx tsc -b` first, sshpass and the OpenSSH client.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startSimulatorProcess } from "../simulator/start-simulator-process.mjs";
import { EsxiSshSession, KnownHostsFile, sh } from "@esxbackup/transporter";

const { values } = parseArgs({ options: { mib: { type: "string", default: "1024" }, channels: { type: "string", default: "1,4" } } });
const mib = Number(values.mib);
const channelCounts = values.channels.split(",").map(Number);
const work = mkdtempSync(join(tmpdir(), "esxbackup-bench-ssh-"));
const password = "bench-password-1";
const simulator = await startSimulatorProcess({ esxiVersion: "8.0", password, stateDir: work });
const port = simulator.port;

const rows = [];
const rate = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
try {
  const passFile = join(work, "pass");
  writeFileSync(passFile, password);
  for (const cipher of ["aes128-gcm@openssh.com", "aes128-ctr"]) {
    const started = performance.now();
    const bytes = await new Promise((resolve, reject) => {
      const ssh = spawn("sshpass", ["-f", passFile, "ssh", "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", `UserKnownHostsFile=${join(work, "kh")}`, "-o", `Ciphers=${cipher}`, "root@127.0.0.1", `dd if=/dev/zero bs=1048576 count=${mib} 2>/dev/null`]);
      let n = 0;
      ssh.stdout.on("data", (c) => (n += c.length));
      ssh.once("exit", (code) => (code === 0 ? resolve(n) : reject(new Error(`ssh exited ${code}`))));
    });
    rows.push([`OpenSSH client, ${cipher}`, 1, bytes, performance.now() - started]);
  }
  const session = await EsxiSshSession.open({ target: { host: "127.0.0.1", port, user: "root", password, esxiVersion: "8.0" }, knownHosts: new KnownHostsFile(join(work, "known_hosts")) });
  for (const channels of channelCounts) {
    const each = Math.floor(mib / channels);
    const started = performance.now();
    const counts = await Promise.all(
      Array.from({ length: channels }, async () => {
        const stream = await session.execStream(sh`dd if=/dev/zero bs=1048576 count=${each} 2>/dev/null`);
        let n = 0;
        for await (const chunk of stream.stdout) n += chunk.length;
        await stream.result;
        return n;
      }),
    );
    rows.push([`EsxiSshSession.execStream, ${session.negotiated.cipher}`, channels, counts.reduce((a, b) => a + b, 0), performance.now() - started]);
  }
  await session.close();
} finally {
  await simulator.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log("| client | channels | MiB | seconds | MB/s |\n|---|---|---|---|---|");
for (const [name, channels, bytes, ms] of rows) console.log(`| ${name} | ${channels} | ${bytes / 1048576} | ${(ms / 1000).toFixed(2)} | ${rate(bytes, ms)} |`);
