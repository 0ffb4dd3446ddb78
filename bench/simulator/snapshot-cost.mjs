#!/usr/bin/env node
// What a snapshot costs in the simulator: `vim-cmd vmsvc/snapshot.create` and `snapshot.remove` of a running
// VM whose thin disk holds data, timed through the host model's tools (no SSH; the SSH round trip adds
// ~50 ms). A real host takes seconds; the transporter's benchmark times incrementals in seconds.
//
//   npx tsc -b packages/esxi-simulator && node bench/simulator/snapshot-cost.mjs [--sizes-gib 4,20] [--data-gib 2] [--dir DIR]
//
// Prints one line per step: disk size, step, seconds.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ManualClock } from "@esxbackup/domain";
import { HostModel, ManualScheduler, parseHostConfig } from "@esxbackup/esxi-simulator";

const GIB = 1024 ** 3;
const { values } = parseArgs({ options: { "sizes-gib": { type: "string", default: "4,20" }, "data-gib": { type: "string", default: "2" }, dir: { type: "string" } } });
const sizes = values["sizes-gib"].split(",").map(Number);
const dataBytes = Number(values["data-gib"]) * GIB;

async function timed(label, size, fn) {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${String(size).padStart(3)} GiB  ${label.padEnd(28)} ${s.toFixed(3)} s`);
  if (r !== undefined && r.exitCode !== 0) throw new Error(`${label} failed: ${r.stdout.toString()}${r.stderr.toString()}`);
  return s;
}

for (const sizeGib of sizes) {
  const dir = await mkdtemp(join(values.dir ?? tmpdir(), "esxsim-snapcost-"));
  try {
    const config = parseHostConfig(
      {
        datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 64 * GIB }],
        vms: [
          {
            name: "big",
            vmid: 1,
            powerState: "poweredOff",
            disks: [{ slot: "scsi0:0", sizeBytes: sizeGib * GIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: Math.min(dataBytes, sizeGib * GIB) }] }],
            workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 },
          },
        ],
      },
      "snapshot-cost",
    );
    const model = await HostModel.open({ rootDir: join(dir, "root"), config, clock: new ManualClock(new Date("2026-01-01T00:00:00Z")), scheduler: new ManualScheduler() });
    const vim = (...args) => model.tools.run({ tool: "vim-cmd", args, cwd: "/" });
    await model.start();
    await vim("vmsvc/power.on", "1");
    const w = model.workload(1);
    await timed("snapshot.create (1st)", sizeGib, () => vim("vmsvc/snapshot.create", "1", "one", "", "0", "0"));
    await w.writeNow(64);
    await timed("snapshot.create (2nd, on top)", sizeGib, () => vim("vmsvc/snapshot.create", "1", "two", "", "0", "0"));
    await w.writeNow(64);
    await timed("snapshot.remove (2nd)", sizeGib, () => vim("vmsvc/snapshot.remove", "1", "2"));
    await timed("snapshot.remove (1st)", sizeGib, () => vim("vmsvc/snapshot.remove", "1", "1"));
    await model.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(`${join(dir, "root")}.locked`, { recursive: true, force: true });
  }
}
