/**
 * `esxbackup restore` in-process: to a simulated ESXi 8.0 host over real SSH as a new VM (its disk equals
 * the point byte for byte, its identity is fresh, the original is untouched and still runs; --power-on; a
 * name full of shell metacharacters; an existing VM name, an existing folder, a full datastore and a VM of
 * a hardware version the host does not run refused with nothing changed, exit 2), and to local files (raw, and VMDK checked with qemu-img compare); a connection
 * dropped while writing is survived and logged, one that keeps dropping ends in exit 1 with nothing left
 * behind; a restore SIGKILLed mid-disk and run again carries on from the host's record of acknowledged runs,
 * and one stopped with Ctrl-C once data was acknowledged keeps its folder, says so, exits 130 and is carried on;
 * so is one --over-original SIGKILLed mid-disk, unless the VM was started in between (refused while on,
 * rewritten whole once off),
 * and a leftover that is not provably the same restore's is refused untouched unless --discard-leftover.
 * The password is never printed.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import type { FSWatcher } from "node:fs";
import { open, readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import type { SimulatedHost } from "@esxbackup/esxi-simulator";
import { DEFAULT_RATE_LIMIT_BURST_BYTES } from "@esxbackup/transporter";
import { hostLoginFixture } from "./host-login-fixture.js";
import { fastForward, fileHashes, runCli } from "./repo/cli-test-support.js";
import { pointOfSimulatedVm, startRestoreTestHost } from "./restore-test-support.js";

const MIB = 1024 * 1024;
const AWKWARD = `new "vm" $(touch pwned); \`id\` & [x] 'q' ü`;
const CLI = fileURLToPath(new URL("../../bin/esxbackup.js", import.meta.url));
const quiet = { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 };

describe("esxbackup restore", () => {
  const { work, password, passwordFile, knownHosts } = hostLoginFixture("esxbackup-restore-");
  const repo = join(work, "repo");
  let host: SimulatedHost;
  let pointId: string;
  let image: Buffer;
  let toHost: (...args: string[]) => ReturnType<typeof runCli>;
  const printed: string[] = [];
  const datastoreDir = (): string => dirname(dirname(host.model?.vmByName("web01").vmxPath ?? ""));

  before(async () => {
    host = await startRestoreTestHost(work, password, [
      {
        name: "web01",
        vmid: 1,
        guestId: "ubuntu64Guest",
        powerState: "poweredOn",
        disks: [{ slot: "scsi0:0", sizeBytes: 8 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }, { offsetBytes: 5 * MIB, lengthBytes: MIB / 2 }] }],
        workload: quiet,
      },
      { name: "big", vmid: 4, powerState: "poweredOff", disks: [{ slot: "scsi0:0", sizeBytes: 96 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 80 * MIB }] }], workload: quiet },
      { name: "archive", vmid: 2, powerState: "poweredOff", disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: MIB, lengthBytes: MIB }] }], workload: quiet },
      { name: "snapped", vmid: 3, powerState: "poweredOff", snapshots: [{ name: "by hand", description: "" }], disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [] }], workload: quiet },
      // Hardware version 21 (ESXi 8.0 U2 on), above the simulated 8.0 U1 host's 20: its point stands for one taken on a newer host.
      { name: "newer", vmid: 5, powerState: "poweredOff", hardwareVersion: 21, disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }], workload: quiet },
    ]);
    assert.equal((await runCli(["repo", "init", "--repo", repo, "--chunk-size", "64K"])).code, 0);
    ({ pointId, image } = await pointOfSimulatedVm(host, "web01", repo, work));
    toHost = async (...args) => {
      const result = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-host", `127.0.0.1:${host.port}`, "--user", "root", "--password-file", passwordFile, "--known-hosts", knownHosts, ...args]);
      printed.push(result.stdout, result.stderr);
      return result;
    };
  });
  after(async () => {
    await host.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const vimCmd = async (...args: string[]): Promise<string> => (await host.model?.tools.run({ tool: "vim-cmd", args, cwd: "/" }))?.stdout.toString("utf8") ?? "";
  /** The same restore run again finishes from exactly `kept` bytes: the rest sent, the disk equal to the point. */
  const finishesFrom = async (args: string[], name: string, image: Buffer, kept: number): Promise<void> => {
    const dataBytes = image.length - countZeroBytesOfChunks(image, 64 * 1024);
    const again = await runCli([...args, "--json"]);
    printed.push(again.stdout, again.stderr);
    assert.equal(again.code, 0, again.stderr);
    const json = JSON.parse(again.stdout) as { resumed: boolean; bytesWritten: number; bytesAlreadyWritten: number };
    assert.equal(json.resumed, true);
    assert.equal(json.bytesAlreadyWritten, kept, "carried on from what the stopped run said was written");
    assert.equal(json.bytesWritten + json.bytesAlreadyWritten, dataBytes);
    assert.ok((await readFile(host.model?.vmByName(name).disks[0]?.extentDataPaths[0] as string)).equals(image), "the restored disk equals the point");
  };
  const uuidOf = async (vmid: number): Promise<string> => /uuid = "([^"]+)"/u.exec(await vimCmd("vmsvc/get.summary", String(vmid)))?.[1] ?? "none";

  it("restores the point as a new VM whose disk equals the point; fresh identity; the original untouched and running", async () => {
    const original = host.model?.vmByName("web01");
    assert.ok(original !== undefined);
    const originalFiles = await fileHashes(dirname(original.vmxPath));
    const result = await toHost("--name", "web01 restored");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /restored point .* as "web01 restored" \(vmid \d+\)/u);
    const restored = host.model?.vmByName("web01 restored");
    assert.ok(restored !== undefined);
    assert.equal(restored.powerState, "poweredOff");
    assert.equal(restored.disks.length, 1);
    assert.equal(restored.disks[0]?.slot, "scsi0:0");
    assert.ok((await readFile(restored.disks[0]?.extentDataPaths[0] as string)).equals(image), "the restored disk equals the point");
    const vmx = await readFile(restored.vmxPath, "utf8");
    assert.match(vmx, /^displayName = "web01 restored"$/mu);
    assert.match(vmx, /^scsi0:0\.fileName = "web01 restored\.vmdk"$/mu);
    assert.match(vmx, /^uuid\.action = "create"$/mu);
    assert.doesNotMatch(vmx, /^(uuid\.bios|uuid\.location|vc\.uuid|sched\.swap\.derivedName) =/imu);
    assert.notEqual(await uuidOf(restored.vmid), await uuidOf(original.vmid), "the restored VM has its own BIOS uuid");
    assert.deepEqual(await fileHashes(dirname(original.vmxPath)), originalFiles, "the original's files are unchanged");
    assert.equal(host.model?.vmByName("web01").powerState, "poweredOn");
  });

  it("--power-on with a name full of shell metacharacters, --json names the vmid", async () => {
    const result = await toHost("--name", AWKWARD, "--power-on", "--json", "--channels", "2");
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { vmid: string; name: string; poweredOn: boolean; bytesWritten: number };
    assert.equal(json.name, AWKWARD);
    assert.equal(json.poweredOn, true);
    const restored = host.model?.vmByName(AWKWARD);
    assert.ok(restored !== undefined);
    assert.equal(String(restored.vmid), json.vmid);
    assert.equal(restored.powerState, "poweredOn");
    assert.equal(json.bytesWritten, image.length - countZeroBytesOfChunks(image, 64 * 1024));
    assert.deepEqual((await readdir(datastoreDir())).filter((name) => name === "pwned"), []);
  });

  it("refuses an existing VM name, an existing folder, a full datastore and a VM of a hardware version the host does not run, changing nothing", async () => {
    mkdirSync(join(datastoreDir(), "leftover"));
    const newer = await pointOfSimulatedVm(host, "newer", repo, work);
    const before = await fileHashes(datastoreDir());
    const vmsBefore = host.model?.inventory().map((vm) => vm.name);
    const sameName = await toHost("--name", "web01");
    assert.equal(sameName.code, 2, sameName.stderr);
    assert.match(sameName.stderr, /--name: a VM named "web01" is already registered/u);
    const folder = await toHost("--name", "leftover");
    assert.equal(folder.code, 2, folder.stderr);
    assert.match(folder.stderr, /\/vmfs\/volumes\/datastore1\/leftover already exists on the host/u);
    host.model?.faults.setDatastoreFull("datastore1", true);
    try {
      const full = await toHost("--name", "no room");
      assert.equal(full.code, 2, full.stderr);
      assert.match(full.stderr, /--datastore: datastore "datastore1" has 0 bytes free; the restore needs \d+/u);
    } finally {
      host.model?.faults.setDatastoreFull("datastore1", false);
    }
    const unknown = await toHost("--name", "elsewhere", "--datastore", "datastore9");
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no datastore "datastore9"/u);
    const tooNew = await runCli(["restore", "--repo", repo, "--point", newer.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--name", "newer copy"]);
    printed.push(tooNew.stdout, tooNew.stderr);
    assert.equal(tooNew.code, 2, tooNew.stderr);
    assert.match(tooNew.stderr, /--to-host: the VM of point \S+ has virtual hardware version 21 .*ESXi 8\.0\.1 Update 1 \(build 21495797\), whose highest is 20: it would register the VM as invalid\. Restore it to a host running ESXi 8\.0 Update 2 or later/u);
    assert.deepEqual(await fileHashes(datastoreDir()), before);
    assert.deepEqual(host.model?.inventory().map((vm) => vm.name), vmsBefore);
  });

  it("restores a disk to a raw file and to a VMDK that qemu-img reads as the same disk", async () => {
    const raw = join(work, "out.raw");
    const rawResult = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", raw]);
    assert.equal(rawResult.code, 0, rawResult.stderr);
    assert.ok((await readFile(raw)).equals(image));
    const again = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", raw]);
    assert.equal(again.code, 2, again.stderr);
    // Named by this command's option, not as `repo restore-image`'s argument ("output").
    assert.equal(again.stderr, `esxbackup: --to-file: ${raw} already exists; give --overwrite to replace it\n`);
    // A folder that is not there (or is a file) is the command line's mistake: exit 2, nothing created.
    for (const out of [join(work, "no-such-folder", "out.raw"), join(raw, "out.raw")]) {
      const missing = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", out]);
      assert.equal(missing.code, 2, missing.stderr);
      assert.equal(missing.stderr, `esxbackup: --to-file: ${dirname(out)} is not an existing folder to write out.raw into; nothing was written\n`);
    }
    assert.ok(!existsSync(join(work, "no-such-folder")));
    const vmdk = join(work, "out.vmdk");
    const vmdkResult = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", vmdk, "--format", "vmdk", "--json"]);
    assert.equal(vmdkResult.code, 0, vmdkResult.stderr);
    assert.equal((JSON.parse(vmdkResult.stdout) as { data: string }).data, join(work, "out-flat.vmdk"));
    const compare = execFileSync("qemu-img", ["compare", "-f", "vmdk", "-F", "raw", vmdk, raw], { encoding: "utf8" });
    assert.match(compare, /Images are identical/u);
  });

  it("refuses a command line that mixes or lacks targets", async () => {
    const both = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", join(work, "x.raw"), "--to-host", "127.0.0.1"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of --to-file and --to-host/u);
    const noName = await toHost();
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name: a restore to a host needs/u);
    const slash = await toHost("--name", "a/b");
    assert.equal(slash.code, 2);
    assert.match(slash.stderr, /contains '\/'/u);
    const discardToFile = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", join(work, "x.raw"), "--discard-leftover"]);
    assert.equal(discardToFile.code, 2);
    assert.match(discardToFile.stderr, /--discard-leftover: goes with --to-host, not --to-file/u);
    const limitToFile = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", join(work, "x.raw"), "--limit-rate", "50M"]);
    assert.equal(limitToFile.code, 2);
    assert.match(limitToFile.stderr, /--limit-rate: goes with --to-host, not --to-file/u);
    const verifyToFile = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", join(work, "x.raw"), "--verify"]);
    assert.equal(verifyToFile.code, 2);
    assert.match(verifyToFile.stderr, /--verify: goes with --to-host, not --to-file/u);
    // Options with a default or shared with the login are refused too, not silently ignored.
    for (const [flag, value] of [["--channels", "4"], ["--password-file", passwordFile], ["--known-hosts", knownHosts]] as const) {
      const hostOptionToFile = await runCli(["restore", "--repo", repo, "--point", pointId, "--to-file", join(work, "x.raw"), flag, value]);
      assert.equal(hostOptionToFile.code, 2, flag);
      assert.match(hostOptionToFile.stderr, new RegExp(`^esxbackup: ${flag}: goes with --to-host, not --to-file`, "u"));
    }
    const badRate = await toHost("--name", "never", "--limit-rate", "10K");
    assert.equal(badRate.code, 2);
    assert.match(badRate.stderr, /^esxbackup: --limit-rate: "10K" is below the least rate, 64 KiB\/s/u);
    const discardOver = await toHost("--over-original", "--discard-leftover");
    assert.equal(discardOver.code, 2);
    assert.match(discardOver.stderr, /--discard-leftover: goes with a restore as a new VM/u);
    assert.ok(!existsSync(join(work, "x.raw")));
  });

  it("an encrypted repository's passphrase is asked for with --repo-password-file, the option this command takes (--password-file is the host's)", async () => {
    const encrypted = join(work, "encrypted");
    const passphraseFile = join(work, "passphrase");
    writeFileSync(passphraseFile, "repo secret\r\n");
    assert.equal((await runCli(["repo", "init", "--repo", encrypted, "--encrypt", "--password-file", passphraseFile])).code, 0);
    const imageFile = join(work, "small.raw");
    writeFileSync(imageFile, image.subarray(0, MIB));
    const backedUp = await runCli(["repo", "backup-image", "--repo", encrypted, "--password-file", passphraseFile, "--name", "small", imageFile]);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    const point = backedUp.stdout.trim();
    const out = join(work, "small-restored.raw");
    const restore = (...args: string[]): ReturnType<typeof runCli> => runCli(["restore", "--repo", encrypted, "--point", point, "--to-file", out, ...args]);
    const none = await restore();
    assert.equal(none.code, 2, none.stderr);
    assert.equal(none.stderr, "esxbackup: passphrase: the repository is encrypted: give --repo-password-file or set ESXBACKUP_PASSWORD\n");
    const unreadable = await restore("--repo-password-file", join(work, "no-such-file"));
    assert.equal(unreadable.code, 2, unreadable.stderr);
    assert.match(unreadable.stderr, /^esxbackup: --repo-password-file: cannot read \S+no-such-file \(ENOENT\)\n$/u);
    assert.ok(!existsSync(out), "nothing written");
    const restored = await restore("--repo-password-file", passphraseFile);
    assert.equal(restored.code, 0, restored.stderr);
    assert.ok(readFileSync(out).equals(image.subarray(0, MIB)));
  });

  it("--verify: the host fingerprints the restored disk before the VM is registered, and the summary and --json say every block matched", async () => {
    const blocks = Math.ceil(image.length / 65536);
    const printedSummary = await toHost("--name", "verified", "--verify");
    assert.equal(printedSummary.code, 0, printedSummary.stderr);
    assert.match(printedSummary.stderr, new RegExp(`; verified on the host: ${blocks} blocks of 1 disk\\(s\\) equal the point's \\(python\\)\\n$`, "u"));
    const json = await toHost("--name", "verified json", "--verify", "--json");
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout) as { verified: unknown }).verified, { disks: 1, blocks, method: "python" });
    assert.ok((await readFile(host.model?.vmByName("verified json").disks[0]?.extentDataPaths[0] as string)).equals(image));
  });

  it("--over-original rewrites a powered-off VM's disk in place, zeros included, and keeps its .vmx", async () => {
    const archive = await pointOfSimulatedVm(host, "archive", repo, work);
    const vm = host.model?.vmByName("archive");
    assert.ok(vm !== undefined);
    const flat = vm.disks[0]?.extentDataPaths[0] as string;
    const vmxBefore = await readFile(vm.vmxPath);
    const handle = await open(flat, "r+");
    await handle.write(Buffer.alloc(MIB, 0x5a), 0, MIB, 3 * MIB);
    await handle.write(Buffer.alloc(4096, 0x33), 0, 4096, MIB + 8192);
    await handle.close();
    const result = await runCli(["restore", "--repo", repo, "--point", archive.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--over-original", "--json"]);
    printed.push(result.stdout, result.stderr);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { vmid: string }).vmid, String(vm.vmid));
    assert.match(result.stderr, /esxbackup: no interrupted restore over this VM was found: its disks are rewritten whole\n/u);
    assert.ok((await readFile(flat)).equals(archive.image), "the disk equals the point again");
    assert.ok(!existsSync(join(dirname(vm.vmxPath), ".esxbackup-restore.json")), "no record is left once every disk is rewritten");
    assert.ok((await readFile(vm.vmxPath)).equals(vmxBefore), "the .vmx is kept");
  });

  it("--over-original refuses a running VM and a VM with snapshots, changing nothing", async () => {
    const before = await fileHashes(datastoreDir());
    const running = await toHost("--over-original");
    assert.equal(running.code, 2, running.stderr);
    assert.match(running.stderr, /--over-original: VM 1 "web01" is powered on; power it off first/u);
    const snapped = await pointOfSimulatedVm(host, "snapped", repo, work);
    const withSnapshots = await runCli(["restore", "--repo", repo, "--point", snapped.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--over-original"]);
    assert.equal(withSnapshots.code, 2, withSnapshots.stderr);
    assert.match(withSnapshots.stderr, /has snapshots \("by hand"\)/u);
    assert.deepEqual(await fileHashes(datastoreDir()), before);
  });

  it("a restore SIGKILLed while writing, run again, carries on where it stopped: only what the host had not acknowledged is sent, the disk equals the point, one VM", async () => {
    const big = await pointOfSimulatedVm(host, "big", repo, work);
    const dataBytes = big.image.length - countZeroBytesOfChunks(big.image, 64 * 1024);
    const folder = join(datastoreDir(), "killed");
    const recordPath = join(folder, ".esxbackup-restore.json");
    const args = ["restore", "--repo", repo, "--point", big.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--name", "killed", "--channels", "1"];
    // The host's output slowed to 400 bytes/s: its acknowledgements (some 20 bytes a 1 MiB run) pace the
    // restore at about 20 MiB/s, so it is still writing when the first record of acknowledged runs is saved.
    host.faults.throttleBytesPerSecond = 400;
    const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
    const exited = once(child, "exit");
    let recordedBelowChunk = 0;
    try {
      // Killed the moment the host holds a record of acknowledged data: mid-disk, after mkdir and vmkfstools.
      recordedBelowChunk = await recordShowsData(child, datastoreDir(), folder);
      child.kill("SIGKILL");
      assert.deepEqual(await exited, [null, "SIGKILL"]);
    } finally {
      host.faults.throttleBytesPerSecond = null;
      child.kill("SIGKILL");
    }
    assert.deepEqual(host.model?.inventory().filter((vm) => vm.name === "killed"), [], "no half VM is registered");
    const recordedBytes = recordedBelowChunk * 64 * 1024;
    assert.ok(recordedBytes < dataBytes, "killed mid-disk");

    const again = await runCli([...args, "--json"]);
    printed.push(again.stdout, again.stderr);
    assert.equal(again.code, 0, again.stderr);
    const json = JSON.parse(again.stdout) as { resumed: boolean; bytesWritten: number; bytesAlreadyWritten: number };
    // The record may have been saved once more between the kill signal and the kill: at least what was seen.
    assert.equal(json.resumed, true);
    assert.ok(json.bytesAlreadyWritten >= recordedBytes, `${json.bytesAlreadyWritten} already written, ${recordedBytes} recorded`);
    assert.ok(json.bytesWritten < dataBytes, `resumed: ${json.bytesWritten} bytes sent again of the disk's ${dataBytes}`);
    assert.equal(json.bytesWritten + json.bytesAlreadyWritten, dataBytes);
    assert.match(again.stderr, new RegExp(`esxbackup: resuming restore of point ${big.pointId} into /vmfs/volumes/datastore1/killed: ${json.bytesAlreadyWritten} of ${dataBytes} bytes already written`, "u"));
    assert.deepEqual(host.model?.inventory().filter((vm) => vm.name === "killed").length, 1, "exactly one VM of that name");
    assert.ok((await readFile(host.model?.vmByName("killed").disks[0]?.extentDataPaths[0] as string)).equals(big.image), "the restored disk equals the point");
    assert.ok(!existsSync(recordPath), "the record is gone once the VM is registered");
  });

  it("Ctrl-C once the host acknowledged data keeps the folder and its record, registers nothing, says what to do and exits 130; run again, it finishes", async () => {
    const big = await pointOfSimulatedVm(host, "big", repo, work);
    const dataBytes = big.image.length - countZeroBytesOfChunks(big.image, 64 * 1024);
    const folder = join(datastoreDir(), "paused");
    const args = ["restore", "--repo", repo, "--point", big.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--name", "paused", "--channels", "1"];
    // Paced as in the SIGKILL test, so that it is still writing when the record first shows data.
    host.faults.throttleBytesPerSecond = 400;
    const run = spawnCli(args);
    try {
      await recordShowsData(run.child, datastoreDir(), folder);
      run.child.kill("SIGINT");
      assert.deepEqual(await run.exited, [130, null], run.stderr());
    } finally {
      host.faults.throttleBytesPerSecond = null;
      run.child.kill("SIGKILL");
    }
    printed.push(run.stderr());
    const said = new RegExp(`(?:^|\\n)esxbackup: interrupted: (\\d+) of ${dataBytes} bytes written into /vmfs/volumes/datastore1/paused; run the same command to resume, or add --discard-leftover to start over\\n$`, "u").exec(run.stderr());
    assert.ok(said !== null, run.stderr());
    const kept = Number(said[1]);
    assert.ok(kept > 0 && kept < dataBytes, `${kept} bytes kept`);
    assert.ok(existsSync(join(folder, ".esxbackup-restore.json")), "the record is kept");
    assert.deepEqual(host.model?.inventory().filter((vm) => vm.name === "paused"), [], "no half VM is registered");
    await finishesFrom(args, "paused", big.image, kept);
  });

  it("a link that fails for good once the host acknowledged data: exit 75, the folder kept and named with how to carry it on; run again, it finishes", async () => {
    const big = await pointOfSimulatedVm(host, "big", repo, work);
    const dataBytes = big.image.length - countZeroBytesOfChunks(big.image, 64 * 1024);
    const folder = join(datastoreDir(), "cut off");
    const args = ["restore", "--repo", repo, "--point", big.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--name", "cut off", "--channels", "1"];
    // The first connection dies after 64 MiB; once the record shows data, every later one after 256 KiB (less
    // than a run): the writes then fail 3 times. Acknowledgements are paced at about 20 MiB/s as above, and
    // the first save showing data comes at most 2 s (the record's interval) after the disk is made, so at
    // about 40 MiB at the most: the switch comes before the first connection dies.
    host.faults.dropConnectionsAfterReceivedBytes = { bytes: 64 * MIB, connections: 1 };
    host.faults.throttleBytesPerSecond = 400;
    const run = spawnCli(args);
    try {
      await recordShowsData(run.child, datastoreDir(), folder);
      host.faults.dropConnectionsAfterReceivedBytes = { bytes: 256 * 1024, connections: 1000 };
      assert.deepEqual(await run.exited, [75, null], run.stderr());
    } finally {
      host.faults.dropConnectionsAfterReceivedBytes = null;
      host.faults.throttleBytesPerSecond = null;
      run.child.kill("SIGKILL");
    }
    printed.push(run.stderr());
    const said = new RegExp(`\\nesxbackup: restore stopped: writing /vmfs/volumes/datastore1/cut off/cut off-flat\\.vmdk on the host: bytes \\d+\\+\\d+ not written after 3 tries \\(connection lost\\); (\\d+) of ${dataBytes} bytes written into /vmfs/volumes/datastore1/cut off; run the same command to resume, or add --discard-leftover to start over\\n$`, "u").exec(run.stderr());
    assert.ok(said !== null, run.stderr());
    assert.ok(Number(said[1]) > 0);
    assert.deepEqual(host.model?.inventory().filter((vm) => vm.name === "cut off"), [], "no half VM is registered");
    await finishesFrom(args, "cut off", big.image, Number(said[1]));
  });

  it("--over-original SIGKILLed while writing, run again, carries on: fewer bytes the second time, the disk equals the point; a VM started in between is refused, and once off again rewritten whole", async () => {
    const big = await pointOfSimulatedVm(host, "big", repo, work);
    const vm = host.model?.vmByName("big");
    assert.ok(vm !== undefined);
    const flat = vm.disks[0]?.extentDataPaths[0] as string;
    const folder = dirname(vm.vmxPath);
    const recordPath = join(folder, ".esxbackup-restore.json");
    const args = ["restore", "--repo", repo, "--point", big.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--over-original", "--channels", "1"];
    const scribble = async (): Promise<void> => {
      const handle = await open(flat, "r+");
      await handle.write(Buffer.alloc(8 * MIB, 0x5a), 0, 8 * MIB, 0);
      await handle.write(Buffer.alloc(MIB, 0x33), 0, MIB, 90 * MIB);
      await handle.close();
    };
    /** Runs the restore in its own process and SIGKILLs it once the VM's folder holds a record of acknowledged data. */
    const killedMidDisk = async (): Promise<number> => {
      host.faults.throttleBytesPerSecond = 400; // acknowledgements paced, as in the test above
      const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
      const exited = once(child, "exit");
      try {
        const below = await recordShowsData(child, datastoreDir(), folder);
        child.kill("SIGKILL");
        assert.deepEqual(await exited, [null, "SIGKILL"]);
        return below;
      } finally {
        host.faults.throttleBytesPerSecond = null;
        child.kill("SIGKILL");
      }
    };
    const over = async (): Promise<{ code: number; stderr: string; json: { resumed: boolean; bytesWritten: number; bytesAlreadyWritten: number; disks: { bytesZeroed: number }[] } }> => {
      const result = await runCli([...args, "--json"]);
      printed.push(result.stdout, result.stderr);
      return { code: result.code, stderr: result.stderr, json: (result.code === 0 ? JSON.parse(result.stdout) : {}) as never };
    };
    const rewrittenBy = (json: { bytesWritten: number; disks: { bytesZeroed: number }[] }): number => json.bytesWritten + (json.disks[0]?.bytesZeroed ?? 0);

    await scribble();
    const recordedBelowChunk = await killedMidDisk();
    assert.ok(recordedBelowChunk * 64 * 1024 < big.image.length, "killed mid-disk");
    const again = await over();
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.resumed, true);
    assert.ok(again.json.bytesAlreadyWritten >= recordedBelowChunk * 64 * 1024, `${again.json.bytesAlreadyWritten} already rewritten`);
    assert.ok(rewrittenBy(again.json) < big.image.length, `fewer bytes the second time: ${rewrittenBy(again.json)} of ${big.image.length}`);
    assert.equal(rewrittenBy(again.json) + again.json.bytesAlreadyWritten, big.image.length);
    assert.match(again.stderr, new RegExp(`esxbackup: resuming restore of point ${big.pointId} over the VM in /vmfs/volumes/datastore1/big: ${again.json.bytesAlreadyWritten} of ${big.image.length} bytes already written`, "u"));
    assert.ok((await readFile(flat)).equals(big.image), "the disk equals the point");
    assert.ok(!existsSync(recordPath), "the record is gone once every disk is rewritten");

    // Killed again, then the VM started: refused as before, and its record left as it was.
    await scribble();
    await killedMidDisk();
    const recordBefore = readFileSync(recordPath);
    await vimCmd("vmsvc/power.on", String(vm.vmid));
    const running = await over();
    assert.equal(running.code, 2, running.stderr);
    assert.match(running.stderr, /--over-original: VM \d+ "big" is powered on; power it off first/u);
    assert.ok(readFileSync(recordPath).equals(recordBefore), "the record is left as it was");
    // Off again: the guest may have written below the recorded chunk, so the disk is rewritten whole.
    await vimCmd("vmsvc/power.off", String(vm.vmid));
    const whole = await over();
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(whole.json.resumed, false);
    assert.match(whole.stderr, /esxbackup: an interrupted restore of point .* over this VM was found, but the VM was powered on since \(its vmware\.log changed\), and may have written to its disks: its disks are rewritten whole\n/u);
    assert.equal(rewrittenBy(whole.json), big.image.length);
    assert.ok((await readFile(flat)).equals(big.image), "the disk equals the point");
    assert.ok(!existsSync(recordPath));
  });

  it("--limit-rate: the data sent waits for the limit — on a clock that moves only in its waits, the restore's time is its bytes over the rate, less the one burst", async () => {
    const big = await pointOfSimulatedVm(host, "big", repo, work);
    const rate = 8 * MIB;
    const clock = new ManualClock(new Date());
    const args = ["restore", "--repo", repo, "--point", big.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--name", "limited", "--limit-rate", "8M", "--channels", "8"];
    // Every channel's waiting transfer and command listen to the run's one signal at once: no leak, but past
    // Node's default of 10 listeners, which would print a memory-leak warning to the user.
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    const result = await runCli([...args, "--json"], {}, { clock, scheduler: fastForward(clock) }).finally(() => process.off("warning", onWarning));
    assert.deepEqual(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")), []);
    printed.push(result.stdout, result.stderr);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { bytesWritten: number; seconds: number; limitBytesPerSecond: number; secondsHeldByLimit: number };
    assert.equal(json.limitBytesPerSecond, rate);
    assert.equal(json.bytesWritten, big.image.length - countZeroBytesOfChunks(big.image, 64 * 1024));
    // The bucket starts full (one burst free); the last run is sent once its bytes are paid for.
    const paidSeconds = (json.bytesWritten - DEFAULT_RATE_LIMIT_BURST_BYTES) / rate;
    assert.ok(json.secondsHeldByLimit >= paidSeconds - MIB / rate - 0.1 && json.secondsHeldByLimit <= paidSeconds + 0.1, `${json.secondsHeldByLimit} s held for ${json.bytesWritten} bytes at ${rate} B/s (${paidSeconds} s to pay)`);
    assert.ok(Math.abs(json.seconds - json.secondsHeldByLimit) < 0.01, "the restore's time on that clock is the limit's");
    assert.ok((await readFile(host.model?.vmByName("limited").disks[0]?.extentDataPaths[0] as string)).equals(big.image), "the restored disk equals the point");
  });

  it("a leftover of a restore of another point is refused and left untouched; --discard-leftover removes it and restores", async () => {
    const archive = await pointOfSimulatedVm(host, "archive", repo, work);
    const folder = join(datastoreDir(), "other point");
    mkdirSync(folder);
    const record = { format: "esxbackup-restore/1", restoreId: "r1", point: pointId, name: "other point", datastore: "datastore1", chunkSizeBytes: 65536, disks: [{ index: 0, sizeBytes: 4 * MIB, created: true, writtenBelowChunk: 16 }], registering: false };
    writeFileSync(join(folder, ".esxbackup-restore.json"), JSON.stringify(record));
    writeFileSync(join(folder, "other point-flat.vmdk"), Buffer.alloc(MIB, 7));
    const before = await fileHashes(datastoreDir());
    const args = ["restore", "--repo", repo, "--point", archive.pointId, "--to-host", `127.0.0.1:${host.port}`, "--password-file", passwordFile, "--known-hosts", knownHosts, "--name", "other point"];
    const refused = await runCli(args);
    printed.push(refused.stdout, refused.stderr);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`/vmfs/volumes/datastore1/other point was left by an interrupted restore of point ${pointId}; restore that point again to carry it on, or add --discard-leftover`, "u"));
    assert.deepEqual(await fileHashes(datastoreDir()), before, "nothing changed");

    // Not ours at all (a record naming another VM): refused even with --discard-leftover.
    writeFileSync(join(folder, ".esxbackup-restore.json"), JSON.stringify({ ...record, name: "someone else" }));
    const foreign = await runCli([...args, "--discard-leftover"]);
    printed.push(foreign.stdout, foreign.stderr);
    assert.equal(foreign.code, 2, foreign.stderr);
    assert.match(foreign.stderr, /names VM "someone else" on datastore "datastore1", not this folder/u);
    assert.ok(existsSync(join(folder, "other point-flat.vmdk")), "left untouched");

    writeFileSync(join(folder, ".esxbackup-restore.json"), JSON.stringify(record));
    const discarded = await runCli([...args, "--discard-leftover"]);
    printed.push(discarded.stdout, discarded.stderr);
    assert.equal(discarded.code, 0, discarded.stderr);
    assert.ok((await readFile(host.model?.vmByName("other point").disks[0]?.extentDataPaths[0] as string)).equals(archive.image), "the restored disk equals the point");
    assert.deepEqual((await readdir(folder)).filter((file) => file.startsWith(".")), []);
  });

  it("a connection dropped while writing: the restore carries on over a new one, says so, and the disk equals the point", async () => {
    // The CLI's connection dies once the host has taken in 768 KiB: after the checks, inside the first 1 MiB run.
    host.faults.dropConnectionsAfterReceivedBytes = { bytes: 768 * 1024, connections: 1 };
    try {
      const result = await toHost("--name", "resumed", "--channels", "1");
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /esxbackup: 127\.0\.0\.1:\d+: connection lost \(.*\); reconnecting\n/u);
      assert.match(result.stderr, /esxbackup: bytes 0\+1048576 of \/vmfs\/volumes\/datastore1\/resumed\/resumed-flat\.vmdk: connection lost, sending again \(try 2 of 3\)\n/u);
      assert.match(result.stderr, /restored point .* as "resumed"/u);
    } finally {
      host.faults.dropConnectionsAfterReceivedBytes = null;
    }
    const restored = host.model?.vmByName("resumed");
    assert.ok((await readFile(restored?.disks[0]?.extentDataPaths[0] as string)).equals(image), "the restored disk equals the point");
  });

  it("a password that stops working while the restore writes is tried once, however many blocks are left", async () => {
    const from = host.loginAttempts.length;
    host.faults.dropConnectionsAfterReceivedBytes = { bytes: 768 * 1024, connections: 1 };
    host.faults.loginsLeft = 1;
    let result: Awaited<ReturnType<typeof toHost>>;
    try {
      result = await toHost("--name", "refused midway", "--channels", "1");
    } finally {
      host.faults.dropConnectionsAfterReceivedBytes = null;
      host.faults.loginsLeft = null;
    }
    assert.notEqual(result.code, 0, result.stderr);
    assert.match(result.stderr, /login as root refused .*Not tried again: each refused password counts toward the lock/u);
    // The refusal is said once, the folder it could not remove named "for the same reason"; registervm was
    // never called, so there is no VM of this restore to look for or unregister.
    assert.equal(result.stderr.split("login as root refused").length, 2, result.stderr);
    assert.match(result.stderr, /the restore's folder \/vmfs\/volumes\/datastore1\/refused midway could not be removed \(for the same reason\); remove it\n/u);
    assert.doesNotMatch(result.stderr, /unregister/u);
    assert.deepEqual(host.loginAttempts.slice(from).map((a) => `${a.method} ${a.outcome}`), ["keyboard-interactive accepted", "keyboard-interactive refused"]);
  });

  it("a connection that keeps dropping: the restore gives up, removes exactly what it created, exits 1 saying why", async () => {
    // Every connection dies once the host has taken in 256 KiB: less than a run, more than the undo needs.
    const before = await fileHashes(datastoreDir());
    const vmsBefore = host.model?.inventory().map((vm) => vm.name);
    host.faults.dropConnectionsAfterReceivedBytes = { bytes: 256 * 1024, connections: 1000 };
    try {
      const result = await toHost("--name", "flaky");
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /\nesxbackup: restore failed: writing \/vmfs\/volumes\/datastore1\/flaky\/flaky-flat\.vmdk on the host: bytes \d+\+\d+ not written after 3 tries \(connection lost\); what the restore had created \(\/vmfs\/volumes\/datastore1\/flaky\) was removed\n$/u,
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /u, "no stack trace");
    } finally {
      host.faults.dropConnectionsAfterReceivedBytes = null;
    }
    assert.deepEqual(await fileHashes(datastoreDir()), before);
    assert.deepEqual(host.model?.inventory().map((vm) => vm.name), vmsBefore);
  });

  it("never prints the password", () => {
    for (const text of printed) assert.ok(!text.includes(password), "the password appeared in the output");
  });
});

/** The CLI in a process of its own, its stderr collected. */
function spawnCli(args: string[]): { child: ChildProcess; exited: Promise<unknown[]>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return { child, exited: once(child, "exit"), stderr: () => stderr };
}

/**
 * Resolves, with the chunk it records, once the restore's record in `folder` (watched on the simulator's
 * datastore, never a timer) shows acknowledged data; rejects if the child ends first.
 */
function recordShowsData(child: ReturnType<typeof spawn>, datastore: string, folder: string): Promise<number> {
  const recordPath = join(folder, ".esxbackup-restore.json");
  return new Promise<number>((resolve, reject) => {
    child.once("exit", () => reject(new Error("the restore ended before a record of acknowledged data was seen")));
    let inFolder: FSWatcher | undefined;
    const onRecord = (): void => {
      let record: { disks?: { writtenBelowChunk?: number }[] };
      try {
        record = JSON.parse(readFileSync(recordPath, "utf8")) as typeof record;
      } catch {
        return;
      }
      const below = record.disks?.[0]?.writtenBelowChunk ?? 0;
      if (below === 0) return;
      inFolder?.close();
      resolve(below);
    };
    const watchFolder = (): void => {
      inFolder = watch(folder, onRecord);
      onRecord();
    };
    // A VM's own folder (over the original) is there already; a new VM's appears with the mkdir.
    if (existsSync(folder)) return watchFolder();
    const inDatastore = watch(datastore, () => {
      if (inFolder !== undefined || !existsSync(folder)) return;
      inDatastore.close();
      watchFolder();
    });
  });
}

function countZeroBytesOfChunks(data: Buffer, chunk: number): number {
  let zero = 0;
  for (let offset = 0; offset < data.length; offset += chunk) {
    const part = data.subarray(offset, offset + chunk);
    if (part.every((b) => b === 0)) zero += part.length;
  }
  return zero;
}
