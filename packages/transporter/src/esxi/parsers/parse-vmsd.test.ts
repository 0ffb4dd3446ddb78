import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "./fixture-text.js";
import { HostOutputError } from "./host-output-error.js";
import { parseVmsd } from "./parse-vmsd.js";

test("vmsd: the ESXi sample with 4 chained snapshots (esxi-facts 2.4, verbatim)", () => {
  const vmsd = parseVmsd(fixtureText("vmsd-7.0-verbatim.txt"));
  assert.equal(vmsd.lastUid, 4);
  assert.equal(vmsd.currentUid, 4);
  assert.equal(vmsd.needConsolidate, false);
  assert.deepEqual(
    vmsd.snapshots.map((s) => [s.index, s.uid, s.parentUid, s.fileName, s.displayName, s.description, s.disks]),
    [
      [0, 1, undefined, "test flo-Snapshot1.vmsn", "SNAPSHOT POST INSTALL", "blablabla", [{ node: "scsi0:0", fileName: "test flo_0.vmdk" }]],
      [1, 2, 1, "test flo-Snapshot2.vmsn", "SECOND", "small", [{ node: "scsi0:0", fileName: "test flo_0-000001.vmdk" }]],
      [2, 3, 2, "test flo-Snapshot3.vmsn", "third", "", [{ node: "scsi0:0", fileName: "test flo_0-000002.vmdk" }]],
      [3, 4, 3, "test flo-Snapshot4.vmsn", "from cli", "", [{ node: "scsi0:0", fileName: "test flo_0-000003.vmdk" }]],
    ],
  );
  const first = vmsd.snapshots[0];
  assert.equal(first?.createTimeHigh, 388745);
  assert.equal(first?.createTimeLow, 1991180826);
  // 388745 · 2^32 + 1991180826 µs: November 2022, when the sample's Ubuntu 22.04.1 ISO was current.
  assert.equal(first?.createdAt?.toISOString(), "2022-11-28T15:24:12.664Z");
  assert.equal(vmsd.snapshots[1]?.createdAt, undefined);
});

// A 4.x-era host (virtuallyhyper.com, "VMware Snapshots", 2012; `cat vps.vmsd`): the page lists the delta this
// snapshot made as written "Apr 9 19:43" (`ls -lh`, the host's clock in UTC). createTimeHigh · 2^32 + createTimeLow,
// read as microseconds since the epoch, falls in that minute: the encoding holds on a real host.
test("vmsd: the creation time of a real host's snapshot is its microseconds since the epoch", () => {
  const vmsd = parseVmsd(fixtureText("vmsd-4.x-verbatim.txt"));
  assert.deepEqual([vmsd.lastUid, vmsd.currentUid, vmsd.snapshots.length], [4, 2, 1]);
  const [only] = vmsd.snapshots;
  assert.deepEqual([only?.uid, only?.parentUid, only?.fileName, only?.displayName, only?.disks], [2, undefined, "vps-Snapshot2.vmsn", "test1", [{ node: "scsi0:0", fileName: "vps.vmdk" }]]);
  assert.equal(only?.createdAt?.toISOString(), "2012-04-09T19:43:21.049Z");
});

// The whole file the 2.4 sample was cut from (vatesfr/xen-orchestra, @xen-orchestra/vmware-explorer/parsers/vmsd.mjs,
// its comment): the last two snapshots carry `snapshotN.type = "1"`, and every one its creation time.
test("vmsd: snapshots with type = \"1\" read as the others; each creation time follows the one before", () => {
  const vmsd = parseVmsd(fixtureText("vmsd-7.0-memory-verbatim.txt"));
  assert.deepEqual(
    vmsd.snapshots.map((s) => [s.uid, s.parentUid, s.displayName, s.createdAt?.toISOString(), s.disks.map((d) => `${d.node}=${d.fileName}`)]),
    [
      [1, undefined, "SNAPSHOT POST INSTALL", "2022-11-28T15:24:12.664Z", ["scsi0:0=test flo_0.vmdk"]],
      [2, 1, "SECOND", "2022-12-01T10:37:39.848Z", ["scsi0:0=test flo_0-000001.vmdk"]],
      [3, 2, "third", "2022-12-01T10:52:51.556Z", ["scsi0:0=test flo_0-000002.vmdk"]],
      [4, 3, "from cli", "2022-12-01T13:40:06.017Z", ["scsi0:0=test flo_0-000003.vmdk"]],
    ],
  );
  assert.equal(vmsd.currentUid, 4);
});

test("vmsd: numbering out of file order, a branch, a negative createTimeLow, escapes, key case, needConsolidate", () => {
  const vmsd = parseVmsd(fixtureText("vmsd-8.0-branches-derived.txt"));
  assert.equal(vmsd.needConsolidate, true);
  assert.deepEqual(
    vmsd.snapshots.map((s) => [s.index, s.uid, s.parentUid, s.displayName, s.description, s.disks.map((d) => `${d.node}=${d.fileName}`)]),
    [
      [0, 3, undefined, "before patch", "line one\nline two", ["scsi0:0=web.vmdk", "scsi0:1=sub dir/data (1).vmdk"]],
      [1, 9, 3, 'esxbackup "nightly"', "", ["scsi0:0=web-000002.vmdk", "scsi0:1=sub dir/data (1)-000001.vmdk"]],
      [2, 5, 3, "other branch", "", []],
    ],
  );
  const negative = vmsd.snapshots[1];
  assert.equal(negative?.createTimeLow, -1294967296);
  // The low half read as unsigned: 405915 · 2^32 + 3000000000.
  assert.equal(negative?.createdAt?.getTime(), Math.floor((405915 * 2 ** 32 + 3000000000) / 1000));
});

test("vmsd: an empty file and one left with no snapshots mean none", () => {
  assert.deepEqual(parseVmsd(""), { lastUid: undefined, currentUid: undefined, needConsolidate: false, snapshots: [] });
  assert.deepEqual(parseVmsd('.encoding = "UTF-8"\nsnapshot.lastUID = "4"\nsnapshot.numSnapshots = "0"\n').snapshots, []);
});

test("vmsd: CRLF line ends, blanks around '=' and keys in another case read the same", () => {
  const sample = fixtureText("vmsd-7.0-verbatim.txt");
  const variant = sample.replaceAll(" = ", "=").replace("snapshot.lastUID", "SNAPSHOT.LASTUID").replace("snapshot0.disk0.node", "Snapshot0.Disk0.Node").replaceAll("\n", "\r\n");
  assert.deepEqual(parseVmsd(variant), parseVmsd(sample));
});

test("vmsd: a hosted product's file (a snapshot type, an empty description, a disk without node) reads, the node left undefined", () => {
  // As Fusion writes them: `snapshotN.type`, and no `snapshotN.diskM.node`.
  const fusion = '.encoding = "UTF-8"\nsnapshot.lastUID = "44"\nsnapshot.current = "44"\nsnapshot0.uid = "44"\nsnapshot0.filename = "Ubuntu-Snapshot44.vmsn"\nsnapshot0.displayName = "init_state"\nsnapshot0.description = ""\nsnapshot0.type = "1"\nsnapshot0.numDisks = "1"\nsnapshot0.disk0.fileName = "Virtual Disk.vmdk"\nsnapshot.numSnapshots = "1"\n';
  const vmsd = parseVmsd(fusion);
  assert.deepEqual([vmsd.lastUid, vmsd.currentUid, vmsd.snapshots.map((s) => [s.uid, s.displayName, s.description, s.disks])], [44, 44, [[44, "init_state", "", [{ node: undefined, fileName: "Virtual Disk.vmdk" }]]]]);
});

const base = fixtureText("vmsd-7.0-verbatim.txt");
const malformed: [string, string, number | undefined][] = [
  ["a count that disagrees with the snapshots", base.replace('snapshot.numSnapshots = "4"', 'snapshot.numSnapshots = "5"'), 13],
  ["a snapshot without uid", base.replace('snapshot2.uid = "3"\n', ""), undefined],
  ["a parent that is not in the file", base.replace('snapshot1.parent = "1"', 'snapshot1.parent = "7"'), undefined],
  ["two snapshots with one uid", base.replace('snapshot2.uid = "3"', 'snapshot2.uid = "2"'), undefined],
  ["a current snapshot that is not in the file", base.replace('snapshot.current = "4"', 'snapshot.current = "8"'), 3],
  ["a disk count larger than the disks", base.replace('snapshot3.numDisks = "1"', 'snapshot3.numDisks = "2"'), undefined],
  ["a uid that is not a number", base.replace('snapshot0.uid = "1"', 'snapshot0.uid = "one"'), 4],
  ["a line that is not key = value", `${base}garbage\n`, 36],
  ["a disk beyond numDisks", `${base}snapshot3.disk1.fileName = "test flo_1-000003.vmdk"\nsnapshot3.disk1.node = "scsi0:1"\n`, 36],
  ["disks without numDisks", base.replace('snapshot3.numDisks = "1"\n', ""), 33],
  ["a disk without its file name", base.replace('snapshot3.disk0.fileName = "test flo_0-000003.vmdk"\n', ""), undefined],
];
for (const [what, input, lineNumber] of malformed) {
  test(`vmsd refuses ${what}`, () => {
    assert.throws(
      () => parseVmsd(input, "/vmfs/volumes/ds/vm/vm.vmsd"),
      (e: unknown) => e instanceof HostOutputError && e.lineNumber === lineNumber && e.source === "/vmfs/volumes/ds/vm/vm.vmsd",
    );
  });
}
