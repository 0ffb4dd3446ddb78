import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { MountedFilesystem } from "../esxi/probe/parse-filesystem-list.js";
import { datastoreShortfalls, describeShortfall, minimumDuringRun } from "./datastore-room.js";
import type { DatastoreFreeMinimum, DatastoreRoomInput } from "./datastore-room.js";

const GIB = 1024 ** 3;

function volume(volumeName: string, uuid: string, sizeGiB: number, freeGiB: number): MountedFilesystem {
  return { mountPoint: `/vmfs/volumes/${uuid}`, volumeName, uuid, mounted: true, type: "VMFS-6", sizeBytes: sizeGiB * GIB, freeBytes: freeGiB * GIB };
}

const FAST = volume("fast-ssd", "611624d3-0014912e-65a2-525400f29a2a", 100, 3);
const BULK = volume("bulk", "61162d2b-5f009ee4-baf7-525400f29a2a", 1000, 400);
const VMX = "/vmfs/volumes/fast-ssd/web01/web01.vmx";
const ON_FAST = "/vmfs/volumes/fast-ssd/web01/web01-flat.vmdk";
const ON_BULK = "/vmfs/volumes/bulk/web01/web01_1-flat.vmdk";

const cases: { name: string; input: Partial<DatastoreRoomInput>; expected: string[] }[] = [
  { name: "3 % free is under 5 %", input: {}, expected: ["fast-ssd"] },
  { name: "3 % free is enough for 2 %", input: { minimum: { percent: 2 } }, expected: [] },
  { name: "a share is of each datastore's own size", input: { paths: [ON_BULK], minimum: { percent: 40 } }, expected: [] },
  { name: "a share just above what is free", input: { paths: [ON_BULK], minimum: { percent: 40.1 } }, expected: ["bulk"] },
  { name: "a size: under it", input: { minimum: { bytes: 4 * GIB } }, expected: ["fast-ssd"] },
  { name: "a size: exactly what is free is enough", input: { minimum: { bytes: 3 * GIB } }, expected: [] },
  { name: "0 bytes checks nothing", input: { filesystems: [volume("fast-ssd", FAST.uuid, 100, 0)], minimum: { bytes: 0 } }, expected: [] },
  { name: "every datastore of the VM is judged, each once", input: { paths: [VMX, ON_FAST, ON_BULK], minimum: { percent: 50 } }, expected: ["fast-ssd", "bulk"] },
  { name: "a path by the volume's UUID", input: { paths: [`/vmfs/volumes/${FAST.uuid}/web01/web01-flat.vmdk`] }, expected: ["fast-ssd"] },
  { name: "an unnamed volume is named by its UUID", input: { paths: [`/vmfs/volumes/${FAST.uuid}/x.vmx`], filesystems: [{ ...FAST, volumeName: "" }] }, expected: [FAST.uuid] },
  { name: "a powered-off VM is never refused", input: { powerState: "poweredOff" }, expected: [] },
  { name: "a suspended VM is never refused", input: { powerState: "suspended" }, expected: [] },
  { name: "a path on no listed volume is not judged", input: { paths: ["/vmfs/volumes/gone/web01.vmx", "/var/run/crx/x.vmx"] }, expected: [] },
  { name: "a name is matched whole, not as a prefix", input: { paths: ["/vmfs/volumes/fast-ssd-2/web01.vmx"] }, expected: [] },
];

for (const { name, input, expected } of cases) {
  test(`datastoreShortfalls: ${name}`, () => {
    const shortfalls = datastoreShortfalls({ powerState: "poweredOn", paths: [VMX, ON_FAST], filesystems: [FAST, BULK], minimum: { percent: 5 }, ...input });
    assert.deepEqual(shortfalls.map((s) => s.datastore), expected);
  });
}

test("a shortfall says the datastore, what is free of its size, and what is kept free", () => {
  const minimum: DatastoreFreeMinimum = { percent: 5 };
  const [shortfall] = datastoreShortfalls({ powerState: "poweredOn", paths: [VMX], filesystems: [FAST], minimum });
  assert.ok(shortfall !== undefined);
  assert.deepEqual(shortfall, { datastore: "fast-ssd", freeBytes: 3 * GIB, sizeBytes: 100 * GIB, minimumBytes: 5 * GIB });
  assert.equal(describeShortfall(shortfall, minimum), `datastore "fast-ssd" has 3.0 GiB free of 100.0 GiB (3.0 %), under the 5 % kept free for the snapshot's growth`);
  assert.match(describeShortfall(shortfall, { bytes: 20 * GIB }), /under the 20\.0 GiB kept free/u);
});

test("while the snapshot is open, half the minimum is kept free", () => {
  assert.deepEqual(minimumDuringRun({ percent: 5 }), { percent: 2.5 });
  assert.deepEqual(minimumDuringRun({ bytes: 20 * GIB + 1 }), { bytes: 10 * GIB });
  assert.deepEqual(minimumDuringRun({ bytes: 0 }), { bytes: 0 });
});
