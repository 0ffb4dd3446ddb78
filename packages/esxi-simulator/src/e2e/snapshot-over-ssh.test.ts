/**
 * End to end, the way a backup client uses a free ESXi host: a simulator (SSH server, busybox sandbox,
 * bridge, host model) with a VM under write load, driven only through the real OpenSSH client. Finds the VM
 * with `vim-cmd vmsvc/getallvms`, snapshots it, reads the frozen base `-flat.vmdk` with `cat` and busybox
 * `dd` while the guest keeps writing, checks the bytes against the point-in-time record the model took at
 * the snapshot, then removes the snapshot and checks that the base holds every write made meanwhile.
 *
 * Nothing here sleeps: the read is held back (by not reading ssh's stdout) until the workload's write
 * counter has moved, and the final state is compared after the VM is powered off.
 */
import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { parseSimulatorConfig } from "../config/simulator-config.js";
import type { SimulatorConfig } from "../config/simulator-config.js";
import type { HostModel } from "../host/host-model.js";
import type { PointInTimeRecord } from "../host/point-in-time.js";
import type { Workload, WorkloadWrite } from "../host/workload.js";
import { startSimulator, type Simulator } from "../simulator.js";
import { renderGetAllVms } from "../tools/getallvms.js";
import { OpenSshTestClient } from "../ssh/openssh-test-client.js";
import { esxi8Session, shellQuote } from "./esxi8-ssh-client.js";

const MIB = 1024 * 1024;
const DISK_BYTES = 24 * MIB;
const DATASTORE = "datastore1";
const LOADED = "web [prod] 01";
/** VM names a real host accepts and a client must survive (esxi-facts 1.1). */
const AWKWARD = [`q"uote's $HOME; echo pwned`, "Ünïcødé 名前 ✓", "Test Test [Test] [Test]", "semi;colon $(x) `y`"];

function simulatorConfig(password: string): SimulatorConfig {
  const vm = (name: string, vmid: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    vmid,
    guestId: "otherGuest64",
    hardwareVersion: 20,
    disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }],
    workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: vmid },
    ...extra,
  });
  return parseSimulatorConfig(
    {
      hosts: [
        {
          name: "esx8",
          esxiVersion: "8.0",
          ssh: { port: 0, users: [{ name: "root", password }] },
          datastores: [{ name: DATASTORE, uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", vmfsVersion: 6, capacityBytes: 1024 * MIB }],
          vms: [
            vm(LOADED, 21, {
              guestId: "ubuntu64Guest",
              powerState: "poweredOn",
              annotation: "front end\nowner: ops",
              disks: [
                {
                  slot: "scsi0:0",
                  sizeBytes: DISK_BYTES,
                  provisioning: "thin",
                  dataRegions: [
                    { offsetBytes: 0, lengthBytes: 6 * MIB },
                    { offsetBytes: 16 * MIB, lengthBytes: 4 * MIB },
                  ],
                },
              ],
              // Writes land in data and in holes, so the read covers both kinds of change.
              workload: { writesPerSecond: 200, writeSizeBytes: 65536, seed: 7, hotSet: { "scsi0:0": [{ offsetBytes: 0, lengthBytes: 12 * MIB }] } },
            }),
            ...AWKWARD.map((name, i) => vm(name, [6, 52, 9, 100][i] ?? 200 + i)),
          ],
        },
      ],
    },
    "snapshot-over-ssh.test",
  );
}

/** `[ds] folder/file.vmdk` → `/vmfs/volumes/ds/folder/file<suffix>` */
function sandboxPath(bracketPath: string, suffix: string): string {
  const m = /^\[(.+?)\] (.+)\.vmdk$/u.exec(bracketPath);
  assert.ok(m, `not a datastore path: ${bracketPath}`);
  return `/vmfs/volumes/${m[1] ?? ""}/${m[2] ?? ""}${suffix}`;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

interface ReadUnderLoad {
  code: number | null;
  stderr: string;
  bytes: Buffer;
  writesAtFirstByte: number;
  bytesAtFirstByte: number;
  writesAtEnd: number;
}

describe("snapshot and read over a real OpenSSH client while the guest writes", () => {
  const password = randomBytes(12).toString("base64url");
  let work: string;
  let simulator: Simulator;
  let model: HostModel;
  let ssh: { run(command: string): ReturnType<OpenSshTestClient["run"]>; spawn(command: string): ReturnType<OpenSshTestClient["spawn"]> };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "esxsim-e2e-"));
    simulator = await startSimulator(simulatorConfig(password), { stateDir: join(work, "state"), clock: systemClock });
    const host = simulator.host("esx8");
    assert.ok(host.model !== undefined, "the simulator runs the real host model");
    model = host.model;
    const client = new OpenSshTestClient({ port: host.port, user: "root", dir: work });
    const session = esxi8Session(password);
    ssh = { run: (command) => client.run(command, session), spawn: (command) => client.spawn(command, session) };
  });

  after(async () => {
    await simulator.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** Runs a remote read and holds its output back until the guest has made `heldForWrites` more writes. */
  function readUnderLoad(command: string, workload: Workload, heldForWrites: number): Promise<ReadUnderLoad> {
    return new Promise((resolve, reject) => {
      const child = ssh.spawn(command);
      const chunks: Buffer[] = [];
      let received = 0;
      let writesAtFirstByte = -1;
      let bytesAtFirstByte = 0;
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (s: string) => (stderr += s));
      child.stdout.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (writesAtFirstByte < 0) {
          writesAtFirstByte = workload.writes;
          bytesAtFirstByte = received;
          // Stop reading: ssh's pipe and the channel window fill up and the remote reader blocks mid-file.
          child.stdout.pause();
          workload.waitForWrites(writesAtFirstByte + heldForWrites).then(() => child.stdout.resume(), reject);
        }
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr, bytes: Buffer.concat(chunks), writesAtFirstByte, bytesAtFirstByte, writesAtEnd: workload.writes }));
    });
  }

  it("vim-cmd vmsvc/getallvms over ssh is the renderer's output byte for byte, awkward names included", async () => {
    const result = await ssh.run("vim-cmd vmsvc/getallvms");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const expected = renderGetAllVms(
      simulator.host("esx8").config.vms.map((vm) => ({
        vmid: String(vm.vmid),
        name: vm.name,
        file: `[${DATASTORE}] ${vm.name}/${vm.name}.vmx`,
        guestOs: vm.guestId,
        version: `vmx-${vm.hardwareVersion}`,
        annotation: vm.annotation,
      })),
    );
    assert.equal(result.stdout.toString("utf8"), expected);
    assert.ok(result.stdout.equals(Buffer.from(expected, "utf8")));
    // Sorted as strings: 100 < 21 < 52 < 6 < 9.
    const ids = expected.split("\n").filter((l) => /^\d+ /u.test(l)).map((l) => l.split(" ")[0]);
    assert.deepEqual(ids, ["100", "21", "52", "6", "9"]);
  });

  it("reads the frozen base at its point in time while the guest writes, then consolidates every write", async () => {
    // Find the VM the way ghettoVCB does: rows with `vmx-` and `[`, split on runs of 3+ blanks.
    const listing = (await ssh.run("vim-cmd vmsvc/getallvms")).stdout.toString("utf8");
    const row = listing.split("\n").find((l) => l.includes("vmx-") && l.replace(/[ \t]{3,}/gu, "   ").split("   ")[1] === LOADED);
    assert.ok(row, `no row for ${LOADED} in\n${listing}`);
    const vmid = Number(row.split(" ")[0]);
    assert.equal(vmid, 21);
    const workload = model.workload(vmid);
    assert.ok(workload.running, "the guest is writing");

    const devicesBefore = await ssh.run(`vim-cmd vmsvc/device.getdevices ${vmid}`);
    const baseDescriptor = /fileName = "(\[.+\] .+\.vmdk)"/u.exec(devicesBefore.stdout.toString("utf8"))?.[1];
    assert.ok(baseDescriptor);
    const baseFlat = sandboxPath(baseDescriptor, "-flat.vmdk");
    assert.equal(baseFlat, `/vmfs/volumes/${DATASTORE}/${LOADED}/${LOADED}-flat.vmdk`);

    // A running VM's base cannot be read: the VM holds it.
    const locked = await ssh.run(`cat ${shellQuote(baseFlat)} | wc -c`);
    assert.match(locked.stderr, /cat: can't open '.*-flat\.vmdk': /u);
    assert.equal(locked.stdout.toString().trim(), "0");

    // Log every write from before the snapshot on: replayed over the point-in-time image it gives the disk's
    // final content whatever the exact write the snapshot fell after.
    const log: WorkloadWrite[] = [];
    const unsubscribe = workload.onWrite((w) => log.push(w));
    try {
      await workload.waitForWrites(workload.writes + 5);
      const created = await ssh.run(`vim-cmd vmsvc/snapshot.create ${vmid} ${shellQuote("backup 1")} ${shellQuote("made by the e2e test")} 0 0`);
      assert.equal(created.stdout.toString(), "Create Snapshot:\n");
      assert.equal(created.code, 0);
      const records = model.pointInTimeRecords(vmid);
      assert.equal(records.length, 1);
      const record = records[0] as PointInTimeRecord;
      assert.equal(record.snapshotName, "backup 1");
      const pit = record.disks[0];
      assert.ok(pit?.image, "the whole image is kept for a small disk");
      assert.equal(pit.chunkSha256.length, DISK_BYTES / MIB);

      // The client now sees the delta in the device list, with the base as its parent.
      const devices = (await ssh.run(`vim-cmd vmsvc/device.getdevices ${vmid}`)).stdout.toString("utf8");
      const files = [...devices.matchAll(/fileName = "(\[.+\] .+\.vmdk)"/gu)].map((m) => m[1] ?? "");
      assert.deepEqual(files, [`[${DATASTORE}] ${LOADED}/${LOADED}-000001.vmdk`, baseDescriptor]);
      assert.match(devices, /deltaDiskFormat = "seSparseFormat"/u);

      // The whole base with cat, while the guest writes into the delta.
      const whole = await readUnderLoad(`cat ${shellQuote(baseFlat)}`, workload, 10);
      assert.equal(whole.code, 0, whole.stderr);
      assert.equal(whole.stderr, "");
      assert.ok(whole.bytesAtFirstByte < DISK_BYTES, "the read was still in progress when the writes were counted");
      assert.ok(whole.writesAtEnd >= whole.writesAtFirstByte + 10, `writes during the read: ${whole.writesAtFirstByte} → ${whole.writesAtEnd}`);
      assert.equal(whole.bytes.length, DISK_BYTES);
      for (let i = 0; i < pit.chunkSha256.length; i++) {
        assert.equal(sha256(whole.bytes.subarray(i * MIB, (i + 1) * MIB)), pit.chunkSha256[i], `chunk ${i}`);
      }
      assert.equal(sha256(whole.bytes), pit.imageSha256);
      assert.ok(whole.bytes.equals(pit.image));

      // A range with busybox dd, also under load.
      const skip = 3;
      const count = 5;
      const range = await readUnderLoad(`dd if=${shellQuote(baseFlat)} bs=1M skip=${skip} count=${count} 2>/dev/null`, workload, 5);
      assert.equal(range.code, 0, range.stderr);
      assert.ok(range.writesAtEnd >= range.writesAtFirstByte + 5);
      assert.equal(range.bytes.length, count * MIB);
      for (let i = 0; i < count; i++) {
        assert.equal(sha256(range.bytes.subarray(i * MIB, (i + 1) * MIB)), pit.chunkSha256[skip + i], `dd chunk ${skip + i}`);
      }

      // The delta is the running VM's write target: it cannot be read.
      const deltaExtent = sandboxPath(files[0] ?? "", "-sesparse.vmdk");
      const delta = await ssh.run(`cat ${shellQuote(deltaExtent)} >/dev/null`);
      assert.notEqual(delta.code, 0);
      assert.match(delta.stderr, /cat: can't open '.*-000001-sesparse\.vmdk': /u);

      // Writes after the snapshot changed the disk, and the base did not see them.
      const writesAtSnapshot = record.writesBefore;
      await workload.waitForWrites(writesAtSnapshot + 20);

      // Remove the snapshot by the id snapshot.get prints (ghettoVCB's way), while the guest keeps writing.
      const tree = (await ssh.run(`vim-cmd vmsvc/snapshot.get ${vmid}`)).stdout.toString("utf8");
      const id = /--Snapshot Name {8}: backup 1\n--Snapshot Id {8}: (\d+)\n/u.exec(tree)?.[1];
      assert.equal(id, String(record.snapshotUid));
      const removed = await ssh.run(`vim-cmd vmsvc/snapshot.remove ${vmid} ${id}`);
      assert.equal(removed.stdout.toString(), "Remove Snapshot:\n");
      assert.equal(removed.code, 0);
      const writesAtRemoval = workload.writes;
      await workload.waitForWrites(writesAtRemoval + 5);
      const listingAfter = await ssh.run(`ls ${shellQuote(`/vmfs/volumes/${DATASTORE}/${LOADED}`)}`);
      assert.doesNotMatch(listingAfter.stdout.toString(), /-000001/u);
      assert.equal((await ssh.run(`vim-cmd vmsvc/snapshot.get ${vmid}`)).stdout.toString(), "Get Snapshot:\n");

      // The base is the write target again (locked); power off to stop the guest and release it.
      const off = await ssh.run(`vim-cmd vmsvc/power.off ${vmid}`);
      assert.equal(off.stdout.toString(), "Powering off VM:\n");
      await workload.stop();
    } finally {
      unsubscribe();
    }

    const record = model.pointInTimeRecords(vmid)[0] as PointInTimeRecord;
    const expected = Buffer.from(record.disks[0]?.image ?? Buffer.alloc(0));
    for (const w of log) w.data.copy(expected, w.offsetBytes);
    const after = log.filter((w) => w.sequence > record.writesBefore);
    assert.ok(after.length >= 25, `writes after the snapshot: ${after.length}`);
    assert.ok(log.every((w, i) => i === 0 || w.sequence === (log[i - 1]?.sequence ?? 0) + 1), "no write is missing from the log");
    assert.ok((log[0]?.sequence ?? Infinity) <= record.writesBefore + 1, "the log starts before the snapshot");
    assert.equal(log[log.length - 1]?.sequence, workload.writes, "the log runs to the last write");
    assert.ok(!expected.equals(record.disks[0]?.image ?? Buffer.alloc(0)), "the writes changed the disk");

    const final = await ssh.run(`cat ${shellQuote(baseFlat)}`);
    assert.equal(final.code, 0, final.stderr);
    assert.equal(final.stdout.length, DISK_BYTES);
    assert.equal(sha256(final.stdout), sha256(expected), "the base holds every write, in order");
  });
});
