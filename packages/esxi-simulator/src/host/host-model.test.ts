import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, lstat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { InvalidInputError, ManualClock } from "@esxbackup/domain";
import { parseSimulatorConfig } from "../config/simulator-config.js";
import { HostModel } from "./host-model.js";
import { ManualScheduler } from "./workload.js";

const run = promisify(execFile);
const MIB = 1024 * 1024;
const NAME = `web "01" [prod] $x; ü`;

function hostJson(vmfsVersion: 5 | 6): unknown {
  return {
    name: "esx1",
    esxiVersion: "7.0",
    datastores: [{ name: "datastore1 (4)", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", vmfsVersion, capacityBytes: 1024 * MIB }],
    vms: [
      {
        name: NAME,
        vmid: 7,
        powerState: "poweredOn",
        annotation: "two\nlines",
        cbt: true,
        disks: [{ slot: "scsi0:0", sizeBytes: 8 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 2 * MIB }] }],
        workload: { writesPerSecond: 10, writeSizeBytes: 65536, seed: 3, hotSet: { "scsi0:0": [{ offsetBytes: 0, lengthBytes: 4 * MIB }] } },
      },
    ],
  };
}

async function openHost(vmfsVersion: 5 | 6): Promise<{ model: HostModel; dir: string; tools: (tool: "vim-cmd" | "vmkfstools", ...args: string[]) => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), "esxsim-"));
  const config = parseSimulatorConfig({ hosts: [hostJson(vmfsVersion)] }, "test").hosts[0];
  assert.ok(config);
  const model = await HostModel.open({ rootDir: join(dir, "root"), config, clock: new ManualClock(new Date("2022-12-17T15:34:49Z")), scheduler: new ManualScheduler() });
  await model.start();
  const tools = async (tool: "vim-cmd" | "vmkfstools", ...args: string[]): Promise<string> => {
    const r = await model.tools.run({ tool, args, cwd: "/" });
    return r.stdout.toString() + r.stderr.toString();
  };
  return { model, dir, tools };
}

test("snapshot under write load freezes the base at the recorded point in time; removal keeps every write", async () => {
  const { model, dir, tools } = await openHost(6);
  try {
    const w = model.workload(7);
    await w.writeNow(5);
    const flat = model.inventory()[0]?.disks[0]?.extentPaths[0] ?? "";
    // The running VM holds its base flat: busybox cannot open it.
    await assert.rejects(run("busybox", ["cat", flat]), (e: { stderr: string }) => e.stderr.includes("can't open") && e.stderr.includes("No such device or address"));

    const concurrent = w.writeNow(20);
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.create", "7", "backup-1", "desc", "0", "0"), "Create Snapshot:\n");
    await concurrent;
    await w.writeNow(10);
    const record = model.pointInTimeRecords(7)[0];
    assert.ok(record?.disks[0]?.image);
    assert.ok(record.writesBefore >= 5 && record.writesBefore <= 25);
    const view = model.inventory()[0];
    assert.ok(view);
    const disk = view.disks[0];
    assert.ok(disk);
    assert.match(disk.extentPaths[1] ?? "", /-000001-sesparse\.vmdk$/u);
    // The base is frozen and readable by busybox; it equals the recorded image byte for byte.
    const { stdout } = await run("busybox", ["cat", flat], { encoding: "buffer", maxBuffer: 64 * MIB });
    assert.ok(Buffer.compare(stdout, record.disks[0]?.image ?? Buffer.alloc(0)) === 0, "base equals the point-in-time image");
    await assert.rejects(run("busybox", ["dd", `if=${disk.extentPaths[1] ?? ""}`, "of=/dev/null"]));
    // eslint-disable-next-line no-regex-spaces -- the spaces are the format under test
    assert.match(await tools("vim-cmd", "vmsvc/snapshot.get", "7"), /--Snapshot Name        : backup-1\n--Snapshot Id        : 1\n--Snapshot Desciption  : desc\n--Snapshot Created On  : 12\/17\/2022 15:34:49\n--Snapshot State       : powered on\n/u);
    const vmx = await readFile(view.vmxPath, "utf8");
    assert.match(vmx, /scsi0:0\.fileName = ".*-000001\.vmdk"/u);

    // Power off to unlock, clone the current state, consolidate, compare.
    assert.equal(await tools("vim-cmd", "vmsvc/power.off", "7"), "Powering off VM:\n");
    const folder = `/vmfs/volumes/datastore1 (4)/${NAME}`;
    const cloneOut = await tools("vmkfstools", "-i", `${folder}/${NAME}-000001.vmdk`, "-d", "thin", `${folder}/clone.vmdk`);
    assert.match(cloneOut, /^Destination disk format: VMFS thin-provisioned\nCloning disk '.*'...\n(Clone: \d+% done.\r)*Clone: 100% done.\n$/u);
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.removeall", "7"), "Remove All Snapshots:\n");
    const base = await readFile(flat);
    const clone = await readFile(join(model.realPath(folder), "clone-flat.vmdk"));
    assert.ok(base.equals(clone), "after consolidation the base holds every write");
    assert.ok(!base.equals(record.disks[0]?.image ?? Buffer.alloc(0)), "writes after the snapshot changed the disk");
    await assert.rejects(lstat(disk.extentPaths[1] ?? ""));

    // qemu-img accepts a disk (descriptor + flat) as a VMDK. (Its descriptor parser cannot take a '"' inside
    // an extent file name, so the check uses the clone, which the host wrote with the same code.)
    const info = await run("qemu-img", ["info", "--output=json", join(model.realPath(folder), "clone.vmdk")]);
    const parsed = JSON.parse(info.stdout) as { format: string; "virtual-size": number };
    assert.equal(parsed.format, "vmdk");
    assert.equal(parsed["virtual-size"], 8 * MIB);
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a point-in-time record read long after its snapshot (writes, consolidation, a second snapshot) is the frozen base", async () => {
  const { model, dir, tools } = await openHost(6);
  try {
    const w = model.workload(7);
    await w.writeNow(5);
    const flat = model.inventory()[0]?.disks[0]?.extentPaths[0] ?? "";
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.create", "7", "one", "", "0", "0"), "Create Snapshot:\n");
    // The frozen base is the truth the record must keep, whatever happens to the disk afterwards.
    const frozen = await readFile(flat);
    await w.writeNow(30);
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.remove", "7", "1").then((o) => o.split("\n")[0]), "Remove Snapshot:");
    await w.writeNow(30); // now straight into the base
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.create", "7", "two", "", "0", "0"), "Create Snapshot:\n");
    const frozenTwo = await readFile(flat);
    await w.writeNow(30);
    assert.ok(!frozen.equals(frozenTwo), "the writes changed the disk between the snapshots");
    const [one, two] = model.pointInTimeRecords(7);
    assert.ok(one?.disks[0]?.image?.equals(frozen), "the first record is the base as it was frozen");
    assert.equal(one?.disks[0]?.imageSha256, createHash("sha256").update(frozen).digest("hex"));
    assert.ok(two?.disks[0]?.image?.equals(frozenTwo), "the second record is the base at the second snapshot");
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a removal whose consolidation fails after the snapshot left the tree: its delta stays, unowned, and later snapshots merge their own levels", async () => {
  const { model, dir, tools } = await openHost(6);
  try {
    const w = model.workload(7);
    await w.writeNow(5);
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.create", "7", "one", "", "0", "0"), "Create Snapshot:\n");
    await w.writeNow(10);
    model.faults.failConsolidation({ leavesDeltas: true, message: "An error occurred while consolidating disks: Failed to lock the file." });
    assert.match(await tools("vim-cmd", "vmsvc/snapshot.remove", "7", "1"), /Failed to lock the file/u);
    model.faults.failConsolidation(null);
    const view = model.inventory()[0];
    assert.ok(view !== undefined);
    // No snapshot left, the delta still written through, and the .vmsd says so.
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.get", "7"), "Get Snapshot:\n");
    assert.match(await readFile(view.vmxPath, "utf8"), /scsi0:0\.fileName = ".*-000001\.vmdk"/u);
    assert.match(await readFile(view.vmxPath.replace(/\.vmx$/u, ".vmsd"), "utf8"), /^snapshot\.needConsolidate = "TRUE"$/mu);
    assert.equal(view.disks[0]?.extentPaths.length, 2);

    // A snapshot on top, then removed: it merges its own level (000002) into the unowned one, every write kept.
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.create", "7", "two", "", "0", "0"), "Create Snapshot:\n");
    await w.writeNow(10);
    assert.equal(await tools("vim-cmd", "vmsvc/power.off", "7"), "Powering off VM:\n");
    const folder = `/vmfs/volumes/datastore1 (4)/${NAME}`;
    await tools("vmkfstools", "-i", `${folder}/${NAME}-000002.vmdk`, "-d", "thin", `${folder}/before.vmdk`);
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.remove", "7", "2").then((o) => o.split("\n")[0]), "Remove Snapshot:");
    assert.match(await readFile(view.vmxPath, "utf8"), /scsi0:0\.fileName = ".*-000001\.vmdk"/u);
    await tools("vmkfstools", "-i", `${folder}/${NAME}-000001.vmdk`, "-d", "thin", `${folder}/after.vmdk`);
    const [before, after] = await Promise.all(["before", "after"].map((name) => readFile(join(model.realPath(folder), `${name}-flat.vmdk`))));
    assert.ok(before?.equals(after ?? Buffer.alloc(0)), "the removal kept every write");
    assert.match(await readFile(view.vmxPath.replace(/\.vmx$/u, ".vmsd"), "utf8"), /^snapshot\.needConsolidate = "TRUE"$/mu);
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("VMFS5 deltas are -delta.vmdk; faults print on stdout; state survives a restart", async () => {
  const { model, dir, tools } = await openHost(5);
  try {
    model.faults.failSnapshotCreate({ message: "An error occurred while taking a snapshot: Failed to quiesce the virtual machine." });
    const failed = await model.tools.run({ tool: "vim-cmd", args: ["vmsvc/snapshot.create", "7", "x"], cwd: "/" });
    assert.equal(failed.exitCode, 1);
    assert.match(failed.stdout.toString(), /^Create Snapshot:\n\(vim\.fault\.GenericVmConfigFault\) \{\n/u);
    model.faults.failSnapshotCreate(null);
    await tools("vim-cmd", "vmsvc/snapshot.create", "7", "x");
    assert.match(model.inventory()[0]?.disks[0]?.extentPaths[1] ?? "", /-000001-delta\.vmdk$/u);
    assert.equal(
      await tools("vim-cmd", "vmsvc/power.getstate", "2"),
      '(vim.fault.NotFound) {\n   faultCause = (vmodl.MethodFault) null, \n   faultMessage = <unset>\n   msg = "Unable to find a VM corresponding to "2""\n}\n',
    );
    const all = await tools("vim-cmd", "vmsvc/getallvms");
    assert.ok(all.includes(`7      ${NAME}   [datastore1 (4)] ${NAME}/${NAME}.vmx   otherGuest64   vmx-14    two\nlines`));
    await model.stop();
    const again = await HostModel.open({ rootDir: model.rootDir, config: model.config, clock: new ManualClock(), scheduler: new ManualScheduler() });
    assert.deepEqual(
      again.inventory().map((v) => [v.vmid, v.name, v.powerState, v.snapshots.length]),
      [[7, NAME, "poweredOn", 1]],
    );
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("VMFS5 takes seSparse deltas for a disk of 2 TiB or more, vmfsSparse for a smaller one (esxi-facts 2.1)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "esxsim-"));
  const config = parseSimulatorConfig(
    {
      hosts: [
        {
          name: "esx5",
          esxiVersion: "6.7",
          datastores: [{ name: "ds5", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", vmfsVersion: 5, capacityBytes: 4 * 1024 * 1024 * MIB }],
          vms: [
            {
              name: "big",
              vmid: 1,
              disks: [
                { slot: "scsi0:0", sizeBytes: 8 * MIB, provisioning: "thin", dataRegions: [] },
                { slot: "scsi0:1", sizeBytes: 2 * 1024 * 1024 * MIB, provisioning: "thin", dataRegions: [] },
                { slot: "scsi0:2", sizeBytes: 2 * 1024 * 1024 * MIB - MIB, provisioning: "thin", dataRegions: [] },
              ],
            },
          ],
        },
      ],
    },
    "test",
  ).hosts[0];
  assert.ok(config);
  const model = await HostModel.open({ rootDir: join(dir, "root"), config, clock: new ManualClock(), scheduler: new ManualScheduler() });
  try {
    const vimCmd = async (...args: string[]): Promise<string> => (await model.tools.run({ tool: "vim-cmd", args, cwd: "/" })).stdout.toString();
    assert.equal(await vimCmd("vmsvc/snapshot.create", "1", "s"), "Create Snapshot:\n");
    const extents = model.inventory()[0]?.disks.map((d) => d.extentPaths[1]?.replace(/^.*\//u, ""));
    assert.deepEqual(extents, ["big-000001-delta.vmdk", "big_1-000001-sesparse.vmdk", "big_2-000001-delta.vmdk"]);
    const folder = join(model.rootDir, "vmfs/volumes/5e0026d9-a647150e-d8a8-4cedfb76e9d5/big");
    assert.match(await readFile(join(folder, "big_1-000001.vmdk"), "utf8"), /^createType="seSparse"\n[^]*^RW 4294967296 SESPARSE "big_1-000001-sesparse\.vmdk"$/mu);
    assert.match(await readFile(join(folder, "big-000001.vmdk"), "utf8"), /^createType="vmfsSparse"\n[^]*^RW 16384 VMFSSPARSE "big-000001-delta\.vmdk"$/mu);
    const formats = [...(await vimCmd("vmsvc/device.getdevices", "1")).matchAll(/deltaDiskFormat = ("\w+"|<unset>)/gu)].map((m) => m[1]);
    // Per disk: the base's (unset, printed inside the delta's `parent`), then the delta's.
    assert.deepEqual(formats, ["<unset>", '"redoLogFormat"', "<unset>", '"seSparseFormat"', "<unset>", '"redoLogFormat"']);
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a bad config names the field and the source", () => {
  const bad = hostJson(6) as { vms: { disks: { slot: string }[] }[] };
  const d = bad.vms[0]?.disks[0];
  assert.ok(d);
  d.slot = "scsi0-0";
  assert.throws(
    () => parseSimulatorConfig({ hosts: [bad] }, "hosts.json"),
    (e: unknown) => e instanceof InvalidInputError && e.field === "hosts[0].vms[0].disks[0].slot" && e.message.includes("hosts.json"),
  );
});

test("vmkfstools -X grows a powered-off VM's disk: its record, its next snapshot and point-in-time record follow", async () => {
  const { model, dir, tools } = await openHost(6);
  try {
    assert.equal(await tools("vim-cmd", "vmsvc/power.off", "7"), "Powering off VM:\n");
    const folder = `/vmfs/volumes/datastore1 (4)/${NAME}`;
    assert.equal(await tools("vmkfstools", "-X", "12M", `${folder}/${NAME}.vmdk`), "");
    assert.equal(model.inventory()[0]?.disks[0]?.sizeBytes, 12 * MIB);
    assert.equal(await tools("vim-cmd", "vmsvc/snapshot.create", "7", "after growth", "", "0", "0"), "Create Snapshot:\n");
    const record = model.pointInTimeRecords(7).at(-1);
    assert.equal(record?.disks[0]?.sizeBytes, 12 * MIB);
    assert.equal(record?.disks[0]?.image?.length, 12 * MIB);
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("busy with another task: the next snapshot.create/remove calls print TaskInProgress, then they work again", async () => {
  const { model, dir, tools } = await openHost(6);
  try {
    await tools("vim-cmd", "vmsvc/snapshot.create", "7", "first");
    model.faults.busyWithAnotherTask(2);
    for (const args of [["vmsvc/snapshot.create", "7", "x"], ["vmsvc/snapshot.remove", "7", "1"]]) {
      const refused = await model.tools.run({ tool: "vim-cmd", args, cwd: "/" });
      assert.equal(refused.exitCode, 1);
      assert.match(refused.stdout.toString(), /\(vim\.fault\.TaskInProgress\) \{\n {3}faultCause = \(vmodl\.MethodFault\) null,\s*\n {3}faultMessage = <unset>,\s*\n {3}task = 'vim\.Task:haTask-7-vim\.VirtualMachine\.\w+Snapshot-\d+'\n {3}msg = "Another task is already in progress\."\n\}\n$/u);
    }
    assert.equal(model.inventory()[0]?.snapshots.length, 1, "a refused create took nothing, a refused remove removed nothing");
    await tools("vim-cmd", "vmsvc/snapshot.create", "7", "x");
    assert.equal(model.inventory()[0]?.snapshots.length, 2, "the fault lasted two calls");
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
