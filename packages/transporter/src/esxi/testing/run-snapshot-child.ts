/**
 * Test support: a process that takes a run's snapshot and then waits inside the run forever, so a test can
 * SIGKILL it mid-run and see what a crashed transporter leaves on the host. Its settings (the password
 * among them) arrive as JSON on stdin, never on the command line; it prints `snapshot <id>` once the
 * snapshot exists.
 */
import type { EsxiVersion } from "@esxbackup/domain";
import { text } from "node:stream/consumers";
import { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { KnownHostsFile } from "../ssh/known-hosts-file.js";
import { withRunSnapshot } from "../snapshot/with-run-snapshot.js";

interface ChildSettings {
  port: number;
  password: string;
  esxiVersion: EsxiVersion;
  knownHostsPath: string;
  vm: { vmid: number; name: string };
  runId: string;
  allowUserSnapshots: boolean;
}

const settings = JSON.parse(await text(process.stdin)) as ChildSettings;
const session = await EsxiSshSession.open({
  target: { host: "127.0.0.1", port: settings.port, user: "root", password: settings.password, esxiVersion: settings.esxiVersion },
  knownHosts: new KnownHostsFile(settings.knownHostsPath),
});
await withRunSnapshot(session, settings.vm, { runId: settings.runId, allowUserSnapshots: settings.allowUserSnapshots }, async ({ snapshot }) => {
  process.stdout.write(`snapshot ${snapshot.id}\n`);
  // The run "reads" until it is killed; the open handle below keeps the process alive.
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
});
