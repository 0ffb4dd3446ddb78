// The host side of the transporter benchmark, in its own process (run.mjs starts it under `taskset`, so the
// simulator and everything it runs — sshd, cat, dd, python, rsync's remote half — share one core, as on a
// host of its own). It starts a simulated ESXi 8.0 host with one powered-off VM, lays the repository bench's
// mixed image into the VM's flat extent, powers the VM on and lets its guest write lightly, then answers
// run.mjs over the IPC channel:
//
//   { op: "status" }                  wire bytes so far (the SSH server's meter), the guest's writes, the
//                                     snapshots the host has seen (name, writes before it), where the base
//                                     extent's bytes are
//   { op: "snapshot", name }          vim-cmd vmsvc/snapshot.create (no memory, no quiesce): the peers read
//                                     the frozen base while the guest goes on writing into the delta
//   { op: "remove-snapshots" }        vim-cmd vmsvc/snapshot.removeall
//   { op: "change", blocks }          the guest writes that many 64 KiB blocks at once
//   { op: "blocks-written", after, upTo }   distinct 64 KiB blocks the guest wrote with write numbers in (after, upTo]
//   { op: "snapshot-sha256", name, takenAt }   sha256 of the first disk as that snapshot froze it (the model's record)
//   { op: "disk-sha256", vmName }     sha256 of a VM's first disk as it is now
//   { op: "stop" }                    stops the simulator and exits
//
// Started as `node simulated-host.mjs <json>` with { simulatorModule, stateDir, imagePath, sizeBytes, seed,
// loadWritesPerSecond }; root's password comes in ESXBACKUP_BENCH_HOST_PASSWORD (never on a command line).
// Stops the simulator when run.mjs goes away (IPC disconnect) or on SIGINT/SIGTERM, so no sandbox or FUSE
// mount outlives a run.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { CHANGE_BLOCK_BYTES, planImage } from "../repository/make-image.mjs";

export const BENCH_VM_NAME = "bench-vm";
export const BENCH_DATASTORE = "datastore1";
const BENCH_HOST_NAME = "esxi-bench";
// Each guest write replaces one whole change block, as the repository bench's changed image does.
const WRITE_BYTES = CHANGE_BLOCK_BYTES;
const GIB = 1024 ** 3;

/**
 * Pure: where the guest writes — the image's non-zero regions, trimmed to whole 64 KiB blocks, so every
 * write replaces exactly one aligned 64 KiB block (the repository bench's change) and zero regions stay zero.
 */
export function guestHotSet(seed, sizeBytes) {
  const ranges = [];
  for (const region of planImage(seed, sizeBytes)) {
    if (region.kind === "zero") continue;
    const start = Math.ceil(region.offsetBytes / WRITE_BYTES) * WRITE_BYTES;
    const end = Math.floor((region.offsetBytes + region.lengthBytes) / WRITE_BYTES) * WRITE_BYTES;
    if (end > start) ranges.push({ offsetBytes: start, lengthBytes: end - start });
  }
  return ranges;
}

/** Pure: the simulator configuration of the bench host. */
export function benchHostConfig({ sizeBytes, seed, password, loadWritesPerSecond }) {
  return {
    hosts: [
      {
        name: BENCH_HOST_NAME,
        esxiVersion: "8.0",
        ssh: { port: 0, users: [{ name: "root", password, authorizedKeys: [] }] },
        datastores: [{ name: BENCH_DATASTORE, uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: Math.max(64 * GIB, 8 * sizeBytes) }],
        vms: [
          {
            name: BENCH_VM_NAME,
            vmid: 1,
            guestId: "ubuntu64Guest",
            powerState: "poweredOff",
            disks: [{ slot: "scsi0:0", sizeBytes, provisioning: "thin", dataRegions: [] }],
            workload: { writesPerSecond: loadWritesPerSecond, writeSizeBytes: WRITE_BYTES, hotSet: { "scsi0:0": guestHotSet(seed, sizeBytes) }, seed: 11 },
          },
        ],
      },
    ],
  };
}

export async function sha256OfFile(path) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk);
  return hash.digest("hex");
}

async function main(options) {
  const { parseSimulatorConfig, startSimulator } = await import(pathToFileURL(options.simulatorModule).href);
  const config = parseSimulatorConfig(benchHostConfig(options), "transporter bench");
  const simulator = await startSimulator(config, { stateDir: options.stateDir, clock: { now: () => new Date() } });
  let stopping;
  const stop = (code) => {
    stopping ??= simulator
      .stop()
      .catch((error) => console.error(`simulated host: stop failed: ${error.message}`))
      .finally(() => process.exit(code));
    return stopping;
  };
  process.on("SIGINT", () => stop(130));
  process.on("SIGTERM", () => stop(143));
  process.on("disconnect", () => stop(0));

  const host = simulator.hosts[0];
  const model = host.model;
  const vim = async (...args) => {
    const r = await model.tools.run({ tool: "vim-cmd", args, cwd: "/" });
    if (r.exitCode !== 0) throw new Error(`vim-cmd ${args.join(" ")} failed: ${r.stdout.toString()}${r.stderr.toString()}`);
    return r.stdout.toString();
  };
  const vm = model.vmByName(BENCH_VM_NAME);
  const disk = vm.disks[0];
  // The VM is off, so its flat extent is a plain file: the image goes in, holes stay holes.
  execFileSync("cp", ["--sparse=always", options.imagePath, disk.extentDataPaths[0]]);
  const flatSandboxPath = `${dirname(vm.vmxSandboxPath)}/${basename(disk.extentPaths[0])}`;

  const workload = model.workload(vm.vmid);
  const writeOffsets = []; // writeOffsets[n - 1] = where write number n landed
  workload.onWrite((w) => (writeOffsets[w.sequence - 1] = w.offsetBytes));
  await vim("vmsvc/power.on", String(vm.vmid));

  const handlers = {
    status: () => ({
      wire: host.sshWireBytes,
      writes: workload.writes,
      failedWrites: workload.failedWrites,
      // Where the base extent's bytes are now (a running VM's top extent is moved out of the datastore).
      flatDataPath: model.vmByName(BENCH_VM_NAME).disks[0].extentDataPaths[0],
      snapshots: model.pointInTimeRecords(vm.vmid).map((r) => ({ name: r.snapshotName, takenAt: r.takenAt.toISOString(), writesBefore: r.writesBefore })),
    }),
    snapshot: ({ name }) => vim("vmsvc/snapshot.create", String(vm.vmid), name, "", "0", "0"),
    "remove-snapshots": () => vim("vmsvc/snapshot.removeall", String(vm.vmid)),
    change: async ({ blocks }) => {
      const first = workload.writes;
      await workload.writeNow(blocks);
      return { after: first, upTo: workload.writes };
    },
    "blocks-written": ({ after, upTo }) => new Set(writeOffsets.slice(after, upTo)).size,
    // For the checks after the timed runs: what a snapshot froze, and what a VM's first disk holds now.
    "snapshot-sha256": ({ name, takenAt }) => {
      const record = model.pointInTimeRecords(vm.vmid).find((r) => r.snapshotName === name && r.takenAt.toISOString() === takenAt);
      if (record === undefined) throw new Error(`no point-in-time record of snapshot ${name} taken ${takenAt} (the host keeps the newest 16)`);
      return record.disks[0].imageSha256;
    },
    "disk-sha256": ({ vmName }) => sha256OfFile(model.vmByName(vmName).disks[0].extentDataPaths[0]),
    stop: () => stop(0),
  };
  process.on("message", async (message) => {
    try {
      const handler = handlers[message.op];
      if (handler === undefined) throw new Error(`unknown request ${JSON.stringify(message.op)}`);
      process.send({ id: message.id, result: await handler(message) });
    } catch (error) {
      process.send({ id: message.id, error: error.message });
    }
  });
  process.send({
    ready: true,
    port: host.port,
    vmid: vm.vmid,
    vmName: vm.name,
    datastore: BENCH_DATASTORE,
    flatSandboxPath,
    datastoreSandboxPath: `/vmfs/volumes/${BENCH_DATASTORE}`,
    datastoreRealPath: model.realPath(`/vmfs/volumes/${BENCH_DATASTORE}`),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main({ ...JSON.parse(process.argv[2]), password: process.env.ESXBACKUP_BENCH_HOST_PASSWORD }).catch((error) => {
    console.error(`simulated host: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}
