// How the transporter should read a disk on a host (docs/adr/0024): EsxiDiskSource against a simulated
// ESXi 8.0 host in its own process, on a random file on its datastore, measuring
//   1. whole-disk reads in 4 MiB runs over 1..N channels, with the long-lived Python reader and with dd per read;
//   2. scattered single 64 KiB reads (an incremental's patch reads), Python reader against dd per read;
//   3. host-side fingerprinting (sha1 per 64 KiB) in 1..N parallel parts.
//   node bench/esxi-disk-read/run.mjs [--mib 512] [--channels 1,2,4,8] [--scattered 512]
// Needs `npx tsc -b` first. Figures move with the load of the shared box: run it twice.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startSimulatorProcess } from "../simulator/start-simulator-process.mjs";
import { EsxiDiskSource, EsxiSshSession, KnownHostsFile, sh } from "@esxbackup/transporter";

const { values } = parseArgs({ options: { mib: { type: "string", default: "512" }, channels: { type: "string", default: "1,2,4,8" }, scattered: { type: "string", default: "512" } } });
const mib = Number(values.mib);
const channelCounts = values.channels.split(",").map(Number);
const scattered = Number(values.scattered);
const MIB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), "esxbackup-bench-disk-read-"));
const password = "bench-password-1";
const simulator = await startSimulatorProcess({ esxiVersion: "8.0", password, stateDir: work });
const port = simulator.port;

const rate = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const rows = [];
try {
  const session = await EsxiSshSession.open({ target: { host: "127.0.0.1", port, user: "root", password, esxiVersion: "8.0" }, knownHosts: new KnownHostsFile(join(work, "known_hosts")), maxChannels: 9 });
  const path = "/vmfs/volumes/datastore1/bench-disk-read-flat.vmdk";
  await session.exec(sh`dd if=/dev/urandom of=${path} bs=1048576 count=${mib} 2>/dev/null`, { timeoutMs: 600_000 });
  const sizeBytes = mib * MIB;
  const source = (reading, channels) =>
    new EsxiDiskSource({ session, path, name: "bench.vmdk", sizeBytes, hashing: { kind: "python", command: "python3", algorithm: "sha1" }, reading, channels });

  for (const reading of [{ kind: "python", command: "python3" }, { kind: "dd" }]) {
    for (const channels of channelCounts) {
      const disk = source(reading, channels);
      const opened = await disk.openChannels(channels, 4 * MIB);
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: channels }, async (_, channel) => {
          while (next < sizeBytes) {
            const offset = next;
            next += 4 * MIB;
            await opened.read(channel, offset, Math.min(4 * MIB, sizeBytes - offset));
          }
        }),
      );
      rows.push([`whole disk, 4 MiB runs, ${reading.kind}`, channels, sizeBytes, performance.now() - started]);
      await opened.close();
    }
  }

  // The same pseudo-random 64 KiB blocks for both mechanisms.
  const blocks = Array.from({ length: scattered }, (_, i) => ((i * 2654435761) % (sizeBytes / 65536)) * 65536);
  for (const reading of [{ kind: "python", command: "python3" }, { kind: "dd" }]) {
    const channels = 4;
    const opened = await source(reading, channels).openChannels(channels, 65536);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: channels }, async (_, channel) => {
        while (next < blocks.length) await opened.read(channel, blocks[next++], 65536);
      }),
    );
    rows.push([`${scattered} scattered 64 KiB blocks, ${reading.kind}`, channels, scattered * 65536, performance.now() - started]);
    await opened.close();
  }

  for (const channels of channelCounts) {
    const started = performance.now();
    await source({ kind: "python", command: "python3" }, channels).fingerprint({ algorithm: "sha1", blockSizeBytes: 65536, digestLengthBytes: 20 }, { signal: new AbortController().signal, onProgress: () => undefined });
    rows.push(["host fingerprints sha1/64 KiB (Python), parts in parallel", channels, sizeBytes, performance.now() - started]);
  }
  await session.close();
} finally {
  await simulator.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log("| what | channels | MiB | seconds | MB/s |\n|---|---|---|---|---|");
for (const [name, channels, bytes, ms] of rows) console.log(`| ${name} | ${channels} | ${(bytes / MIB).toFixed(0)} | ${(ms / 1000).toFixed(2)} | ${rate(bytes, ms)} |`);
