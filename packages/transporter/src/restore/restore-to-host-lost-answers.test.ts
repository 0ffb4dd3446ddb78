// Steps of a restore to a host whose answer a dropped connection swallowed: the step may or may not have
// happened. A real host cannot be made to drop an answer at an exact point, so the session to a simulated
// host is wrapped in one that loses the answer of one chosen command (after running it), or the command
// itself (before running it). Each step is checked on the host before it is run again (docs/adr/0027).
import { strict as assert } from "node:assert";
import { copyFile, mkdir, readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { MemoryBlobStore, PointWriter, Repository } from "@esxbackup/repository";
import { SshConnectionLostError } from "../esxi/ssh/esxi-ssh-errors.js";
import type { EsxiSshSession, ExecOptions, ExecResult, StreamOptions, StreamingExec } from "../esxi/ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../esxi/ssh/shell-command.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import { HostRestoreFailedError, restoreToHost } from "./restore-to-host.js";
import type { HostRestoreSession } from "./restore-to-host.js";

const MIB = 1024 * 1024;
const silent: ProgressReporter = { start: () => ({ update: () => undefined, stop: () => undefined }) };

/** Which command loses what; `meanwhile` runs on the host's files before the loss is reported. */
interface LossRule {
  pattern: RegExp;
  lose: "answer" | "command";
  meanwhile?: () => Promise<void>;
}

/** A session that loses, once, the answer of the first command matching `pattern` (or the command itself). */
class LosingSession implements HostRestoreSession {
  readonly label: string;
  lost: string[] = [];
  constructor(
    readonly inner: EsxiSshSession,
    private rule: LossRule | undefined,
  ) {
    this.label = inner.label;
  }

  async exec(command: ShellCommand, options?: ExecOptions): Promise<ExecResult> {
    const rule = this.rule;
    if (rule === undefined || !rule.pattern.test(command.text)) return this.inner.exec(command, options);
    this.rule = undefined;
    this.lost.push(command.text);
    if (rule.lose === "answer") await this.inner.exec(command, options);
    await rule.meanwhile?.();
    throw new SshConnectionLostError(this.label, rule.lose === "answer" ? "while the command was running" : "while opening a channel");
  }

  execStream(command: ShellCommand, options?: StreamOptions): Promise<StreamingExec> {
    return this.inner.execStream(command, options);
  }
}

describe("restoreToHost, steps whose answer was lost", () => {
  let test: TestHost;
  let repository: Repository;
  let pointId: PointId;
  let image: Buffer;
  let datastore: string;

  before(async () => {
    test = await startTestHost({
      esxiVersion: "8.0",
      vms: [{ name: "web01", vmid: 1, powerState: "poweredOn", disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, dataRegions: [{ offsetBytes: MIB, lengthBytes: MIB }] }], workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 } }],
    });
    repository = await Repository.init(new MemoryBlobStore(), { chunkSizeBytes: 64 * 1024, threads: 1 });
    const vm = test.host.model?.vmByName("web01");
    assert.ok(vm !== undefined);
    datastore = dirname(dirname(vm.vmxPath));
    const copy = join(test.work, "web01.raw");
    await copyFile(vm.disks[0]?.extentDataPaths[0] as string, copy);
    image = await readFile(copy);
    const writer = await PointWriter.begin(repository, { vm: { name: "web01", id: "1" }, host: "test", configFiles: [{ name: "web01.vmx", content: await readFile(vm.vmxPath) }], tags: [] });
    const disk = await writer.openDisk({ key: "scsi0:0", name: "web01.vmdk", sizeBytes: image.length, previousDiskKey: null });
    await disk.writeChunks(0, Buffer.from(image));
    pointId = (await writer.commit()).pointId;
  });
  after(async () => {
    await repository.close();
    await test.stop();
  });

  async function restoreWith(name: string, rule: LossRule, powerOn = false): Promise<{ session: LosingSession; retries: string[]; restore: ReturnType<typeof restoreToHost> }> {
    const session = new LosingSession(await test.open(), rule);
    const retries: string[] = [];
    const restore = restoreToHost({ session, repository, pointId, name, powerOn, channels: 1, signal: new AbortController().signal, clock: systemClock, progress: silent, onRetry: (r) => retries.push(r) });
    return { session, retries, restore };
  }

  async function assertRestored(name: string, vmid: string): Promise<void> {
    const vms = test.host.model?.inventory().filter((vm) => vm.name === name) ?? [];
    assert.deepEqual(vms.map((vm) => String(vm.vmid)), [vmid], "registered exactly once");
    assert.ok((await readFile(test.host.model?.vmByName(name).disks[0]?.extentDataPaths[0] as string)).equals(image), "the disk equals the point");
  }

  it("registervm whose answer was lost: the VM registered from our .vmx is found by its path, not registered twice", async () => {
    const { session, retries, restore } = await restoreWith("reg", { pattern: /solo\/registervm/u, lose: "answer" });
    const result = await restore;
    assert.equal(session.lost.length, 1);
    assert.match(retries.join("\n"), /vim-cmd solo\/registervm of .*: connection lost, checking whether it happened \(try 2 of 3\)/u);
    await assertRestored("reg", result.vmid);
  });

  it("registervm that never reached the host: found not registered, so registered again", async () => {
    const { session, restore } = await restoreWith("reg2", { pattern: /solo\/registervm/u, lose: "command" });
    const result = await restore;
    assert.equal(session.lost.length, 1);
    await assertRestored("reg2", result.vmid);
  });

  it("vmkfstools -c whose answer was lost: the disk, maybe half made, is removed and made again", async () => {
    const { session, retries, restore } = await restoreWith("disk", { pattern: /^vmkfstools -c/u, lose: "answer" });
    const result = await restore;
    assert.equal(session.lost.length, 1);
    assert.match(retries.join("\n"), /vmkfstools -c of \/vmfs\/volumes\/datastore1\/disk\/disk\.vmdk: connection lost/u);
    await assertRestored("disk", result.vmid);
  });

  it("power.on whose answer was lost: the VM found on is not powered on twice", async () => {
    const { session, restore } = await restoreWith("on", { pattern: /vmsvc\/power\.on/u, lose: "answer" }, true);
    const result = await restore;
    assert.equal(session.lost.length, 1);
    assert.equal(result.poweredOn, true);
    assert.equal(test.host.model?.vmByName("on").powerState, "poweredOn");
    await assertRestored("on", result.vmid);
  });

  it("mkdir that never reached the host: the folder is still absent, so it is made again", async () => {
    const { session, restore } = await restoreWith("dir", { pattern: /^mkdir /u, lose: "command" });
    const result = await restore;
    assert.equal(session.lost.length, 1);
    await assertRestored("dir", result.vmid);
  });

  it("mkdir whose answer was lost: the folder that now exists holds this restore's record, so it is ours and the restore goes on", async () => {
    const { session, retries, restore } = await restoreWith("dir2", { pattern: /^mkdir /u, lose: "answer" });
    const result = await restore;
    assert.equal(session.lost.length, 1);
    assert.match(retries.join("\n"), /mkdir \/vmfs\/volumes\/datastore1\/dir2: connection lost, checking whether it happened/u);
    await assertRestored("dir2", result.vmid);
    assert.deepEqual((await readdir(join(datastore, "dir2"))).filter((file) => file.startsWith(".")), [], "the record is gone once the VM is registered");
  });

  it("mkdir lost, and meanwhile a folder of that name appeared without our record: it cannot be told from another's, so the restore stops, leaves it and names it", async () => {
    const before = (await readdir(datastore)).sort();
    const { restore } = await restoreWith("dir3", { pattern: /^mkdir /u, lose: "command", meanwhile: () => mkdir(join(datastore, "dir3")) });
    await assert.rejects(restore, (error: unknown) => {
      assert.ok(error instanceof HostRestoreFailedError, String(error));
      assert.match(error.message, /the connection was lost while \/vmfs\/volumes\/datastore1\/dir3 was being made, and it exists now without this restore's record/u);
      assert.match(error.leftBehind ?? "", /remove \/vmfs\/volumes\/datastore1\/dir3 if it exists and nothing else uses it/u);
      return true;
    });
    assert.deepEqual((await readdir(datastore)).sort(), [...before, "dir3"].sort(), "only the folder, left as it is");
    assert.deepEqual(await readdir(join(datastore, "dir3")), []);
  });
});
