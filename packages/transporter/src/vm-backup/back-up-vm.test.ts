/**
 * backUpVm against a simulated host over SSH, with the guest writing all along: the point restored equals
 * the simulator's record of the disk at the run's snapshot byte for byte; an incremental equals the next
 * one and reads only what changed; the point's layout is the agreed one; the run's snapshot is gone after
 * every outcome; a user snapshot, a failed snapshot.create, a VM name full of shell metacharacters, and a
 * running VM refused before its snapshot when its datastore (or its workingDir's) has too little free, and
 * a VM with a delta no snapshot owns (a failed consolidation) or flagged by the host as needing consolidation
 * refused, our snapshot of a crashed run removed first.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock, timerScheduler } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, Repository, readPointDiskFingerprints, restoreDiskImage, verifyRepository } from "@esxbackup/repository";
import type { HostModel } from "@esxbackup/esxi-simulator";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { HostCapabilities } from "../esxi/probe/host-capabilities.js";
import { UserSnapshotsPresentError } from "../esxi/snapshot/run-snapshot-errors.js";
import { SnapshotOperationError } from "../esxi/snapshot/run-snapshot-errors.js";
import { DatastoreFillingError, DatastoreSpaceRefusedError, VmBackupRefusedError } from "./vm-backup-errors.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";
import { startTestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { TestHost } from "../esxi/testing/simulated-esxi-host.js";
import { silentProgress } from "../progress/progress-reporter.js";
import { TransferRateLimiter } from "../transfer/transfer-rate-limiter.js";
import { backUpVm } from "./back-up-vm.js";
import type { BackUpVmRequest, VmBackupEvent } from "./back-up-vm.js";

const MIB = 1024 * 1024;
const DISK_BYTES = 16 * MIB;
const AWKWARD = `we'b "01" $HOME; \`id\` [x] & é`;

function vm(name: string, vmid: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    vmid,
    guestId: "ubuntu64Guest",
    hardwareVersion: 14,
    powerState: "poweredOn",
    disks: [
      { slot: "scsi0:0", sizeBytes: DISK_BYTES, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 6 * MIB }] },
      { slot: "scsi0:1", sizeBytes: DISK_BYTES / 2, provisioning: "zeroedthick", dataRegions: [{ offsetBytes: MIB, lengthBytes: 2 * MIB }] },
    ],
    workload: { writesPerSecond: 20, writeSizeBytes: 65536, seed: vmid, hotSet: { "scsi0:0": [{ offsetBytes: 0, lengthBytes: 8 * MIB }], "scsi0:1": [{ offsetBytes: 0, lengthBytes: 4 * MIB }] } },
    ...extra,
  };
}

describe("backUpVm on a simulated host under guest writes", () => {
  let t: TestHost;
  let session: EsxiSshSession;
  let capabilities: HostCapabilities;
  let work: string;
  let repository: Repository;
  let model: HostModel;

  before(async () => {
    const quiet = { disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }], workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 8 } };
    t = await startTestHost({
      esxiVersion: "7.0",
      moreDatastores: [{ name: "snaps", uuid: "6a91690d-eac44959-2d46-001b21e7d76e", capacityBytes: 256 * MIB }],
      vms: [vm("web01", 1), vm(AWKWARD, 2), vm("with-user-snapshot", 3), vm("growing", 4), vm("parked", 5, { powerState: "poweredOff" }), vm("leftover", 6), vm("single", 7, { disks: [{ slot: "scsi0:0", sizeBytes: DISK_BYTES, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 12 * MIB }] }], workload: { writesPerSecond: 20, writeSizeBytes: 65536, seed: 7, hotSet: { "scsi0:0": [{ offsetBytes: 0, lengthBytes: 8 * MIB }] } } }), vm("elsewhere", 8, quiet), vm("forked", 9, { ...quiet, snapshots: [{ name: "A", description: "" }] }), vm("crashed", 10, quiet)],
    });
    session = await t.open();
    capabilities = await probeHostCapabilities(session);
    work = await mkdtemp(join(tmpdir(), "vm-backup-"));
    repository = await Repository.init(new LocalDirectoryBlobStore(join(work, "repo")), { chunkSizeBytes: MIB });
    model = t.host.model as HostModel;
  });
  after(async () => {
    await repository.close();
    await t.stop();
    await rm(work, { recursive: true, force: true });
  });

  const request = (vmName: string, runId: string, events: VmBackupEvent[] = []): BackUpVmRequest => ({
    session,
    hostLabel: "esx70.lab",
    vmName,
    repository,
    capabilities,
    runId,
    signal: new AbortController().signal,
    clock: systemClock,
    progress: silentProgress,
    onEvent: (event) => events.push(event),
  });

  async function restored(point: PointId, disk = 0): Promise<Buffer> {
    const out = join(work, `restore-${point}-${disk}.raw`);
    await restoreDiskImage(repository, point, disk, out);
    return readFile(out);
  }

  function recordOf(vmid: number, runId: string, disk = 0): Buffer {
    const record = model.pointInTimeRecords(vmid).find((r) => r.snapshotName === `esxbackup-run-${runId}`);
    const image = record?.disks[disk]?.image;
    assert.ok(image !== undefined, `the simulator recorded the run ${runId}'s snapshot`);
    return image;
  }

  async function snapshotsOf(vmid: number): Promise<string> {
    return (await session.exec(sh`vim-cmd vmsvc/snapshot.get ${vmid}`)).stdout.toString("utf8");
  }

  it("a full backup then an incremental restore to the disk at each run's snapshot, byte for byte", async () => {
    const workload = model.workload(1);
    await workload.waitForWrites(workload.writes + 3);
    const events: VmBackupEvent[] = [];
    const phases: string[] = [];
    const first = await backUpVm({ ...request("web01", "first-run", events), progress: { start: (task) => (phases.push(task.phase), silentProgress.start(task)) } });
    // The run reports its snapshot, each disk's reading, and the clean-up, in that order: a first backup
    // reads each disk once, fingerprinted by the host as it is read (no fingerprint pass of its own).
    assert.equal(phases[0], "snapshot");
    assert.equal(phases.at(-1), "cleanup");
    assert.deepEqual([...new Set(phases.slice(1, -1))].sort(), ["backup"]);
    assert.equal(first.previous, undefined);
    assert.ok((await restored(first.point)).equals(recordOf(1, "first-run")), "the first point is the disk at its snapshot");
    assert.ok((await restored(first.point, 1)).equals(recordOf(1, "first-run", 1)), "and so is its second disk");
    assert.ok(events.some((e) => e.type === "hashing" && e.method === "python" && e.reading === "python" && e.readOnce));
    // Zero blocks are found on the host and never sent: 10 MiB of the 16 MiB disk were never written.
    assert.ok(first.counters.bytesRead <= 8 * MIB + 4 * MIB, `read ${first.counters.bytesRead}`);

    const manifest = await repository.readPoint(first.point);
    assert.deepEqual(manifest.vm, { name: "web01", id: "1", uuid: manifest.vm.uuid });
    assert.match(manifest.vm.uuid ?? "", /^[0-9a-f]{2}( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}$/u);
    assert.equal(manifest.host, "esx70.lab");
    assert.deepEqual(manifest.disks.map((d) => [d.key, d.name]), [["scsi0:0", "web01.vmdk"], ["scsi0:1", "web01_1.vmdk"]]);
    const names = manifest.configFiles.map((f) => f.name);
    for (const name of ["web01.vmx", "web01.nvram", "web01.vmdk", "web01_1.vmdk"]) assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    const vmx = Buffer.from(manifest.configFiles.find((f) => f.name === "web01.vmx")?.content ?? []).toString("utf8");
    assert.match(vmx, /scsi0:0\.fileName = "web01\.vmdk"/u, "the .vmx read before the snapshot names the base disk");
    assert.equal(manifest.disks[0]?.fingerprints?.algorithm, "sha1");
    // The host's digests, made as it read: those of the point's blocks, zero blocks included.
    for (const disk of manifest.disks) {
      const recorded = await readPointDiskFingerprints(repository, manifest, disk);
      const out = join(work, `fingerprinted-${disk.index}.raw`);
      await restoreDiskImage(repository, first.point, disk.index, out);
      const image = await readFile(out);
      const block = recorded?.blockSizeBytes ?? 0;
      let expected = "";
      for (let at = 0; at < image.length; at += block) expected += createHash("sha1").update(image.subarray(at, at + block)).digest("hex");
      assert.equal(Buffer.from(recorded?.digests ?? []).toString("hex"), expected, `the fingerprints of ${disk.key}`);
    }
    assert.equal(await snapshotsOf(1), "Get Snapshot:\n", "the run's snapshot is removed");

    await workload.waitForWrites(workload.writes + 5);
    const second = await backUpVm(request("web01", "second-run"));
    assert.deepEqual(second.previous, { pointId: first.point, matchedBy: "uuid" });
    assert.ok((await restored(second.point)).equals(recordOf(1, "second-run")), "the incremental is the disk at its own snapshot");
    assert.ok((await restored(second.point, 1)).equals(recordOf(1, "second-run", 1)));
    // Only what the guest wrote between the two snapshots is found changed and read (each 64 KiB write
    // touches at most two 64 KiB blocks).
    const records = model.pointInTimeRecords(1);
    const writes = (records.find((r) => r.snapshotName === "esxbackup-run-second-run")?.writesBefore ?? 0) - (records.find((r) => r.snapshotName === "esxbackup-run-first-run")?.writesBefore ?? 0);
    assert.ok(writes > 0);
    const changedBytes = second.disks.reduce((sum, disk) => sum + (disk.changed?.bytes ?? 0), 0);
    assert.ok(changedBytes > 0 && changedBytes <= writes * 128 * 1024, `changed ${changedBytes} after ${writes} writes`);
    // Only the changed 64 KiB blocks cross the wire; each changed chunk is patched from the previous point's.
    assert.equal(second.counters.bytesRead, changedBytes, `incremental read ${second.counters.bytesRead}, changed ${changedBytes}`);
    assert.equal(await snapshotsOf(1), "Get Snapshot:\n");
  });

  it("a VM whose name is full of shell metacharacters is backed up and restores to its snapshot", async () => {
    const result = await backUpVm(request(AWKWARD, "awkward-run"));
    assert.equal((await repository.readPoint(result.point)).vm.name, AWKWARD);
    assert.ok((await restored(result.point)).equals(recordOf(2, "awkward-run")));
    assert.equal(await snapshotsOf(2), "Get Snapshot:\n");
  });

  it("a VM with a user snapshot is refused with the reason, and the user's snapshot is kept", async () => {
    await session.exec(sh`vim-cmd vmsvc/snapshot.create 3 ${"before upgrade"} ${"mine"} 0 0`);
    const before = (await repository.listPointIds()).length;
    await assert.rejects(backUpVm(request("with-user-snapshot", "user-run")), (error: unknown) => {
      assert.ok(error instanceof UserSnapshotsPresentError, String(error));
      assert.match(error.message, /has snapshots not taken by esxbackup: "before upgrade"/u);
      return true;
    });
    const tree = await snapshotsOf(3);
    assert.match(tree, /Snapshot Name\s+: before upgrade/u);
    assert.doesNotMatch(tree, /esxbackup-run/u);
    assert.equal((await repository.listPointIds()).length, before, "nothing written");
  });

  it("with allowUserSnapshots the base below the user's snapshot is backed up, and the user's snapshot is kept", async () => {
    // Runs after the refusal above: VM 3 has the user's snapshot "before upgrade", taken while the guest wrote.
    const result = await backUpVm({ ...request("with-user-snapshot", "allowed-run"), allowUserSnapshots: true });
    const userRecord = model.pointInTimeRecords(3).find((r) => r.snapshotName === "before upgrade");
    assert.ok(userRecord?.disks[0]?.image !== undefined);
    assert.ok((await restored(result.point)).equals(userRecord.disks[0].image), "the point is the disk as the user's snapshot froze it");
    const tree = await snapshotsOf(3);
    assert.match(tree, /Snapshot Name\s+: before upgrade/u);
    assert.doesNotMatch(tree, /esxbackup-run/u);
  });

  it("a running VM whose datastore has less free than the minimum is refused before any snapshot; a VM that is off is backed up", async () => {
    // datastore1 is 2 GiB and nearly empty: asking for 99 % of it free cannot be met.
    const before = (await repository.listPointIds()).length;
    await assert.rejects(backUpVm({ ...request("web01", "space-run"), minDatastoreFree: { percent: 99 } }), (error: unknown) => {
      assert.ok(error instanceof DatastoreSpaceRefusedError, String(error));
      assert.match(error.message, /^VM "web01" is running .*: datastore "datastore1" has \d\.\d GiB free of 2\.0 GiB \(9\d\.\d %\), under the 99 % kept free for the snapshot's growth\. /u);
      return true;
    });
    await assert.rejects(backUpVm({ ...request("web01", "space-run-2"), minDatastoreFree: { bytes: 3 * 1024 * MIB } }), DatastoreSpaceRefusedError);
    for (const runId of ["space-run", "space-run-2"]) {
      assert.equal(model.pointInTimeRecords(1).filter((r) => r.snapshotName === `esxbackup-run-${runId}`).length, 0, "no snapshot was taken");
    }
    assert.equal((await repository.listPointIds()).length, before, "nothing written");

    const parked = await backUpVm({ ...request("parked", "parked-run"), minDatastoreFree: { percent: 99 } });
    assert.ok((await restored(parked.point)).equals(recordOf(5, "parked-run")));
    assert.equal(await snapshotsOf(5), "Get Snapshot:\n");
  });

  it("a running VM whose workingDir is on another datastore is refused when that datastore is full, though its own has room (its snapshot's deltas grow there, Broadcom KB 420124)", async () => {
    await session.exec(sh`printf '%s\n' ${'workingDir = "/vmfs/volumes/snaps/elsewhere/"'} >> /vmfs/volumes/datastore1/elsewhere/elsewhere.vmx`);
    model.faults.setDatastoreFull("snaps", true);
    try {
      await assert.rejects(backUpVm(request("elsewhere", "full-snaps")), (error: unknown) => {
        assert.ok(error instanceof DatastoreSpaceRefusedError, String(error));
        assert.match(error.message, /datastore "snaps" has 0\.0 GiB free of 0\.3 GiB/u);
        assert.doesNotMatch(error.message, /datastore1/u);
        return true;
      });
      assert.equal(model.pointInTimeRecords(8).length, 0, "no snapshot was taken");
    } finally {
      model.faults.setDatastoreFull("snaps", false);
    }
  });

  it("a volume list the host answers in a form not understood: backed up without the space checks, and the run says so", async () => {
    // The host's answer to `esxcli storage filesystem list` replaced by a header this parser does not know.
    const odd: BackUpVmRequest["session"] = {
      label: session.label,
      execStream: session.execStream.bind(session),
      exec: async (command, options) => {
        const result = await session.exec(command, options);
        if (!command.text.includes("esxcli storage filesystem list")) return result;
        return { ...result, stdout: Buffer.from("Einhängepunkt  Datenträgername\n-------------  ---------------\n/vmfs/volumes/x  datastore1\n") };
      },
    };
    const events: VmBackupEvent[] = [];
    const result = await backUpVm({ ...request("web01", "no-room-check", events), session: odd, minDatastoreFree: { percent: 99 } });
    const unknown = events.find((e) => e.type === "datastore-room-unknown");
    assert.ok(unknown !== undefined && unknown.type === "datastore-room-unknown", JSON.stringify(events));
    assert.match(unknown.reason, /esxcli storage filesystem list output: unexpected header "Einhängepunkt/u);
    assert.deepEqual(result.warnings, [`the free space of its datastores could not be read (${unknown.reason}): backed up without the space checks`]);
    assert.ok((await restored(result.point)).equals(recordOf(1, "no-room-check")));
  });

  it("a datastore filling up while the snapshot is open stops the backup: snapshot removed, no point, the reason given", async () => {
    const before = (await repository.listPointIds()).length;
    const events: VmBackupEvent[] = [];
    const filling: BackUpVmRequest = {
      ...request("web01", "filling-run", events),
      full: true,
      datastoreWatchIntervalMs: 20,
      // Reads held to 64 KiB/s: the run cannot end before the watch has read the volumes again.
      rateLimiter: new TransferRateLimiter({ bytesPerSecond: 64 * 1024, burstBytes: 64 * 1024, clock: systemClock, scheduler: timerScheduler }),
      // The datastore fills as soon as the snapshot exists (the simulator then reports it with no byte free).
      onEvent: (event) => {
        events.push(event);
        if (event.type === "snapshot" && event.event.type === "created") model.faults.setDatastoreFull("datastore1", true);
      },
    };
    try {
      await assert.rejects(backUpVm(filling), (error: unknown) => {
        assert.ok(error instanceof DatastoreFillingError, String(error));
        assert.match(error.message, /stopped and its snapshot removed.*datastore "datastore1" has 0\.0 GiB free of 2\.0 GiB \(0\.0 %\), under the 2\.5 % kept free while the snapshot is open/u);
        return true;
      });
    } finally {
      model.faults.setDatastoreFull("datastore1", false);
    }
    assert.ok(events.some((e) => e.type === "snapshot" && e.event.type === "removed"), "the snapshot was removed");
    assert.equal(await snapshotsOf(1), "Get Snapshot:\n");
    assert.equal((await repository.listPointIds()).length, before);
  });

  it("a VM whose snapshot removal failed to consolidate (a delta no snapshot owns) is refused before any snapshot: a backup of the base would miss the writes in it", async () => {
    await session.exec(sh`vim-cmd vmsvc/snapshot.create 6 ${"by hand"} ${""} 0 0`);
    await model.workload(6).writeNow(5);
    // The host deletes the snapshot from the tree, then fails to merge its delta: the guest writes through it.
    model.faults.failConsolidation({ leavesDeltas: true });
    try {
      await session.exec(sh`vim-cmd vmsvc/snapshot.remove 6 1`, { check: false });
    } finally {
      model.faults.failConsolidation(null);
    }
    assert.equal(await snapshotsOf(6), "Get Snapshot:\n");
    const before = (await repository.listPointIds()).length;
    await assert.rejects(backUpVm(request("leftover", "leftover-run")), (error: unknown) => {
      assert.ok(error instanceof VmBackupRefusedError, String(error));
      assert.match(error.message, /scsi0:0 has 1 delta disk in its chain \(.*leftover-000001\.vmdk\) but the VM has no snapshot: the host left deltas no snapshot owns \(disk consolidation needed, as its snapshot\.needConsolidate = "TRUE" in .*leftover\.vmsd says\)/u);
      return true;
    });
    assert.equal(model.pointInTimeRecords(6).filter((r) => r.snapshotName === "esxbackup-run-leftover-run").length, 0, "no snapshot was taken");
    assert.equal((await repository.listPointIds()).length, before, "nothing written");
  });

  it("a VM the host flags as needing consolidation is refused though its deltas are as many as its snapshots (a failed removal in a branching tree), even when user snapshots are allowed", async () => {
    // The simulator's trees do not branch: the flag is written into the .vmsd as the host writes it.
    await session.exec(sh`printf '%s\n' ${'snapshot.needConsolidate = "TRUE"'} >> ${"/vmfs/volumes/datastore1/forked/forked.vmsd"}`);
    const tree = await snapshotsOf(9);
    const before = (await repository.listPointIds()).length;
    await assert.rejects(backUpVm({ ...request("forked", "forked-run"), allowUserSnapshots: true }), (error: unknown) => {
      assert.ok(error instanceof VmBackupRefusedError, String(error));
      assert.match(error.message, /scsi0:0 has 1 delta disk in its chain \(.*forked-000001\.vmdk\), and the host says the VM's disks need consolidation \(snapshot\.needConsolidate = "TRUE" in .*forked\.vmsd\).*Consolidate disks/u);
      return true;
    });
    assert.equal(model.pointInTimeRecords(9).filter((r) => r.snapshotName === "esxbackup-run-forked-run").length, 0, "no snapshot was taken");
    assert.equal(await snapshotsOf(9), tree, "the user's snapshot is kept as it was");
    assert.equal((await repository.listPointIds()).length, before, "nothing written");
  });

  it("a VM needing consolidation with our snapshot of a crashed run: the snapshot is removed first, then the VM, still flagged, refused", async () => {
    await session.exec(sh`vim-cmd vmsvc/snapshot.create 10 ${"by hand"} ${""} 0 0`);
    await session.exec(sh`vim-cmd vmsvc/snapshot.create 10 ${"esxbackup-run-crashed-run"} ${""} 0 0`);
    // The user removes their snapshot; the host takes it out of the tree and fails to merge its delta.
    model.faults.failConsolidation({ leavesDeltas: true });
    try {
      await session.exec(sh`vim-cmd vmsvc/snapshot.remove 10 1`, { check: false });
    } finally {
      model.faults.failConsolidation(null);
    }
    assert.match(await snapshotsOf(10), /Snapshot Name +: esxbackup-run-crashed-run\n/u);
    const before = (await repository.listPointIds()).length;
    const events: VmBackupEvent[] = [];
    await assert.rejects(backUpVm(request("crashed", "next-run", events)), (error: unknown) => {
      assert.ok(error instanceof VmBackupRefusedError, String(error));
      assert.match(error.message, /scsi0:0 has 1 delta disk in its chain \(.*crashed-000001\.vmdk\) but the VM has no snapshot: .*snapshot\.needConsolidate = "TRUE"/u);
      return true;
    });
    assert.deepEqual(
      events.flatMap((e) => (e.type === "snapshot" ? [[e.event.type, "snapshot" in e.event ? e.event.snapshot.name : ""]] : [])),
      [["orphan-removed", "esxbackup-run-crashed-run"]],
    );
    assert.equal(await snapshotsOf(10), "Get Snapshot:\n", "our snapshot of the crashed run is gone");
    assert.equal(model.pointInTimeRecords(10).filter((r) => r.snapshotName === "esxbackup-run-next-run").length, 0, "no snapshot was taken");
    assert.equal((await repository.listPointIds()).length, before, "nothing written");
  });

  it("a failed snapshot.create is a clear error and leaves no snapshot and no point", async () => {
    const before = (await repository.listPointIds()).length;
    model.faults.failSnapshotCreate({ message: "An error occurred while taking a snapshot: Failed to quiesce the virtual machine." });
    try {
      await assert.rejects(backUpVm(request("web01", "failing-run")), (error: unknown) => {
        assert.ok(error instanceof SnapshotOperationError, String(error));
        assert.match(error.message, /snapshot\.create .* failed: vim\.fault\.\w+: An error occurred while taking a snapshot/u);
        return true;
      });
    } finally {
      model.faults.failSnapshotCreate(null);
    }
    assert.equal(await snapshotsOf(1), "Get Snapshot:\n");
    assert.equal((await repository.listPointIds()).length, before);
  });

  it("a connection dropped in the middle of the disk reads: reads retried on a new connection, point complete, snapshot removed", async () => {
    // Only this session's first connection is cut (after 3 MiB from the host): snapshot taken, reads under way.
    t.host.faults.dropConnectionAfterBytes = 3 * MIB;
    const dropping = await t.open();
    t.host.faults.dropConnectionAfterBytes = null;
    const events: VmBackupEvent[] = [];
    try {
      const result = await backUpVm({ ...request("web01", "dropped-run", events), session: dropping, full: true });
      assert.equal(dropping.connectionCount, 2, "reconnected once");
      assert.ok((await restored(result.point)).equals(recordOf(1, "dropped-run")));
      assert.ok((await restored(result.point, 1)).equals(recordOf(1, "dropped-run", 1)));
      assert.ok(events.some((e) => e.type === "snapshot" && e.event.type === "removed"));
    } finally {
      await dropping.close();
    }
    assert.equal(await snapshotsOf(1), "Get Snapshot:\n");
  });

  it("an abort (Ctrl-C) in the middle stops the backup, removes the snapshot and writes no point", async () => {
    const before = (await repository.listPointIds()).length;
    const controller = new AbortController();
    const events: VmBackupEvent[] = [];
    const aborting: BackUpVmRequest = {
      ...request("web01", "aborted-run", events),
      signal: controller.signal,
      full: true,
      // Aborted as soon as the first disk starts: the snapshot exists and reads are about to begin.
      onEvent: (event) => {
        events.push(event);
        if (event.type === "snapshot" && event.event.type === "created") controller.abort(new Error("interrupted by the user"));
      },
    };
    await assert.rejects(backUpVm(aborting), /interrupted by the user|aborted/u);
    assert.ok(events.some((e) => e.type === "snapshot" && e.event.type === "removed"), "the snapshot was removed");
    assert.equal(await snapshotsOf(1), "Get Snapshot:\n");
    assert.equal((await repository.listPointIds()).length, before);
  });

  it("a snapshot someone else removes while the disk is read fails the backup and keeps no point: what was read cannot be trusted", async () => {
    const before = (await repository.listPointIds()).length;
    const events: VmBackupEvent[] = [];
    let snapshotId: number | undefined;
    const other = await t.open();
    // One reader, so the disk's file stays open from its first read on (after the removal the running VM
    // holds it again, and a new open would fail). Before its second read, the snapshot is removed behind the
    // run's back: the rest is read from a base the consolidation writes into.
    let takes = 0;
    class RemovingBehindLimiter extends TransferRateLimiter {
      override async take(): Promise<void> {
        takes += 1;
        if (takes === 2 && snapshotId !== undefined) await other.exec(sh`vim-cmd vmsvc/snapshot.remove 7 ${snapshotId} false`);
      }
    }
    const vanishing: BackUpVmRequest = {
      ...request("single", "vanishing-run", events),
      full: true,
      channels: 1,
      hostReadLimiter: new RemovingBehindLimiter({ bytesPerSecond: 1024 * 1024 * 1024, clock: systemClock, scheduler: timerScheduler }),
      onEvent: (event) => {
        events.push(event);
        if (event.type === "snapshot" && event.event.type === "created") snapshotId = event.event.snapshot.id;
      },
    };
    try {
      await assert.rejects(backUpVm(vanishing), (error: unknown) => error instanceof SnapshotOperationError && /removed by someone else during the run/u.test(error.message));
    } finally {
      await other.close();
    }
    assert.ok(takes > 2, `the disk was read on after the removal (${takes} reads)`);
    assert.equal(await snapshotsOf(7), "Get Snapshot:\n");
    assert.equal((await repository.listPointIds()).length, before, "no point kept");
    const verified = await verifyRepository(repository);
    assert.deepEqual(verified.problems, []);
  });

  it("a disk grown between two backups: the second restores to the grown disk and reads only what is new", async () => {
    // Powered off for both backups (vmkfstools needs the disk unlocked): what changes is the growth alone.
    await session.exec(sh`vim-cmd vmsvc/power.off 4`);
    const first = await backUpVm(request("growing", "before-growth"));
    const descriptor = "/vmfs/volumes/datastore1/growing/growing.vmdk";
    await session.exec(sh`vmkfstools -X 24M ${descriptor}`);
    // 1 MiB of data in the new part of the disk.
    await session.exec(sh`dd if=/dev/urandom of=/vmfs/volumes/datastore1/growing/growing-flat.vmdk bs=1048576 seek=20 count=1 conv=notrunc 2>/dev/null`);
    const second = await backUpVm(request("growing", "after-growth"));
    assert.deepEqual(second.previous, { pointId: first.point, matchedBy: "uuid" });
    const grown = await restored(second.point);
    assert.equal(grown.length, 24 * MIB);
    assert.ok(grown.equals(recordOf(4, "after-growth")), "the second point is the grown disk");
    const disk0 = second.disks[0];
    assert.ok(disk0 !== undefined && disk0.counters.diskSizeBytes === 24 * MIB);
    // Not a full transfer: the old part is compared by fingerprints and taken over, the new zero part is
    // known zero on the host, and only the chunk holding the new megabyte is read.
    assert.equal(disk0.counters.bytesRead, MIB, `read ${disk0.counters.bytesRead} of the grown disk`);
    assert.equal(disk0.counters.bytesTakenOver + disk0.counters.bytesZeroAtSource, 23 * MIB);
  });

  it("a disk made on a Windows desktop (its descriptor in windows-1252, which the inventory reads) is backed up, its descriptor read in that set too", async () => {
    const path = "/vmfs/volumes/datastore1/parked/parked.vmdk";
    const original = (await session.exec(sh`cat -- ${path}`)).stdout.toString("latin1");
    assert.match(original, /^ddb\.encoding = "UTF-8"$/mu);
    // é as the one byte 0xE9 (printf's \351), as Workstation on a Western-European Windows writes it.
    const format = `${original.replace(/^ddb\.encoding = "UTF-8"$/mu, 'ddb.encoding = "windows-1252"')}ddb.comment = "Donn\\351es"\n`;
    await session.exec(sh`printf ${format} > ${path}`);
    assert.ok((await session.exec(sh`cat -- ${path}`)).stdout.includes(Buffer.from([0x44, 0x6f, 0x6e, 0x6e, 0xe9, 0x65, 0x73])));
    const parked = await backUpVm(request("parked", "parked-1252"));
    assert.ok((await restored(parked.point)).equals(recordOf(5, "parked-1252")));
  });
});
