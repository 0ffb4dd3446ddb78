// Table tests of the restore-to-host plan: names of the folder, files and disks; the rewritten .vmx; the
// space needed; and every refusal (bad name, datastore, a point without a .vmx or with a disk the .vmx has
// no slot for, a host that cannot run the VM's hardware version, an existing VM or folder, too little space).
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PointId, RecoveryPoint, RecoveryPointDisk } from "@esxbackup/domain";
import { HostOutputError } from "../esxi/parsers/host-output-error.js";
import type { EsxiVersionInfo } from "../esxi/probe/parse-vmware-version.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import { checkHostRestoreTarget, planHostRestore } from "./plan-host-restore.js";
import type { HostRestoreRequest } from "./plan-host-restore.js";

const CHUNK = 64 * 1024;
const VMX = 'displayName = "web01"\nvirtualHW.version = "19"\nscsi0:0.fileName = "web01.vmdk"\nscsi0:0.present = "TRUE"\nnvme0:1.fileName = "web01_1.vmdk"\nnvme0:1.present = "TRUE"\nuuid.bios = "56 4d"\n';

function disk(index: number, key: string, sizeBytes: number, chunkCount: number, zeroChunkCount: number): RecoveryPointDisk {
  return { index, key, name: `d${index}.vmdk`, sizeBytes, chunkCount, zeroChunkCount };
}

const ESXI_8_0_U1: EsxiVersionInfo = { version: "8.0.1", build: "21495797", update: "1", release: "8.0" };
const ESXI_6_7_U3: EsxiVersionInfo = { version: "6.7.0", build: "14320388", update: "3", release: "6.7" };
const withVmx = (vmx: string): Pick<RecoveryPoint, "pointId" | "configFiles" | "disks" | "chunkSizeBytes"> => point({ configFiles: [{ name: "web01.vmx", content: Buffer.from(vmx) }] });

function point(overrides: Partial<RecoveryPoint> = {}): Pick<RecoveryPoint, "pointId" | "configFiles" | "disks" | "chunkSizeBytes"> {
  return {
    pointId: "p1" as PointId,
    chunkSizeBytes: CHUNK,
    configFiles: [
      { name: "web01.vmx", content: Buffer.from(VMX) },
      { name: "web01.nvram", content: Buffer.from("nvram bytes") },
      { name: "web01.vmsd", content: Buffer.from('snapshot.numSnapshots = "1"\n') },
    ],
    disks: [disk(0, "scsi0:0", 10 * CHUNK + 100, 11, 4), disk(1, "nvme0:1", 4 * CHUNK, 4, 4)],
    ...overrides,
  };
}

const request = (overrides: Partial<HostRestoreRequest> = {}): HostRestoreRequest => ({ point: point(), name: "web 02", datastore: undefined, datastores: ["datastore1"], esxi: ESXI_8_0_U1, ...overrides });

describe("planHostRestore", () => {
  it("names the folder, disks and files as the host would, and writes the .vmx last", () => {
    const plan = planHostRestore(request());
    assert.equal(plan.folderPath, "/vmfs/volumes/datastore1/web 02");
    assert.equal(plan.vmxDatastorePath, "[datastore1] web 02/web 02.vmx");
    assert.deepEqual(
      plan.disks.map((d) => [d.slot, d.descriptorPath, d.flatPath, d.sizeBytes, d.dataBytes]),
      [
        ["scsi0:0", "/vmfs/volumes/datastore1/web 02/web 02.vmdk", "/vmfs/volumes/datastore1/web 02/web 02-flat.vmdk", 10 * CHUNK + 512, 7 * CHUNK],
        ["nvme0:1", "/vmfs/volumes/datastore1/web 02/web 02_1.vmdk", "/vmfs/volumes/datastore1/web 02/web 02_1-flat.vmdk", 4 * CHUNK, 0],
      ],
    );
    assert.deepEqual(plan.files.map((f) => f.name), ["web 02.nvram", "web 02.vmsd", "web 02.vmx"]);
    assert.equal(plan.files[1]?.content.length, 0, "the original's snapshots are not restored");
    const vmx = plan.files[2]?.content.toString("utf8") ?? "";
    assert.match(vmx, /^nvme0:1\.fileName = "web 02_1\.vmdk"$/mu);
    assert.doesNotMatch(vmx, /uuid\.bios/u);
    assert.equal(plan.bytesNeeded, 7 * CHUNK + plan.files.reduce((sum, f) => sum + f.content.length, 0));
  });

  const refusals: [string, Partial<HostRestoreRequest>, string, RegExp][] = [
    ["an empty name", { name: " " }, "bad-name", /is empty/u],
    ["a name with a slash", { name: "a/b" }, "bad-name", /contains '\/'/u],
    ["a name with a newline", { name: "a\nb" }, "bad-name", /control character/u],
    ["a name that is ..", { name: ".." }, "bad-name", /is "\.\."/u],
    ["an unknown datastore", { datastore: "ds9" }, "unknown-datastore", /no datastore "ds9" \(it has "datastore1"\)/u],
    ["no datastore given with several", { datastores: ["a", "b"] }, "choose-datastore", /choose one of "a", "b"/u],
    ["no datastore at all", { datastores: [] }, "choose-datastore", /no datastore mounted/u],
    ["a point without a .vmx", { point: point({ configFiles: [] }) }, "no-vmx", /holds 0 \.vmx files/u],
    ["a disk at a slot the .vmx lacks", { point: point({ disks: [disk(0, "sata0:3", CHUNK, 1, 0)] }) }, "disk-not-in-vmx", /slot sata0:3/u],
    [
      "a host whose release cannot run the VM's hardware version",
      { esxi: ESXI_6_7_U3 },
      "hardware-version-too-new",
      /virtual hardware version 19 .*ESXi 6\.7\.0 Update 3 \(build 14320388\), whose highest is 15: it would register the VM as invalid\. Restore it to a host running ESXi 7\.0 Update 2 or later; the \.vmx is not downgraded/u,
    ],
  ];
  for (const [what, overrides, refusal, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => planHostRestore(request(overrides)),
        (error: unknown) => error instanceof HostRestoreRefusedError && error.refusal === refusal && message.test(error.message),
      );
    });
  }
});

describe("planHostRestore and the VM's hardware version", () => {
  it("keeps the .vmx's version as it is on a host that runs it", () => {
    const plan = planHostRestore(request({ esxi: { version: "7.0.2", build: "17630552", update: "2", release: "7.0" } }));
    assert.match(plan.files.at(-1)?.content.toString("utf8") ?? "", /^virtualHW\.version = "19"$/mu);
    assert.equal(plan.hardwareVersionUnchecked, undefined);
  });
  it("lets a .vmx without the key through, saying it was not checked", () => {
    const plan = planHostRestore(request({ point: withVmx(VMX.replace('virtualHW.version = "19"\n', "")), esxi: ESXI_6_7_U3 }));
    assert.match(plan.hardwareVersionUnchecked ?? "", /names no virtualHW\.version/u);
  });
  it("lets a release newer than those it knows through, saying it was not checked", () => {
    const plan = planHostRestore(request({ point: withVmx(VMX.replace('"19"', '"23"')), esxi: { version: "10.0.0", build: "99999999", update: "0", release: undefined } }));
    assert.match(plan.hardwareVersionUnchecked ?? "", /ESXi 10\.0\.0 GA \(build 99999999\): a release newer than those/u);
  });
  it("refuses a version that is not a number, quoting its line", () => {
    assert.throws(
      () => planHostRestore(request({ point: withVmx(VMX.replace('"19"', '"vmx-19"')) })),
      (error: unknown) => error instanceof HostOutputError && error.lineNumber === 2 && error.line === 'virtualHW.version = "vmx-19"',
    );
  });
});

describe("checkHostRestoreTarget", () => {
  const plan = planHostRestore(request());
  const fine = { vmNames: ["web01"], folderExists: false, datastoreFreeBytes: plan.bytesNeeded };
  const cases: [string, Partial<typeof fine>, string | undefined][] = [
    ["a free name, a new folder and just enough space", {}, undefined],
    ["a VM of that name", { vmNames: ["web01", "web 02"] }, "vm-exists"],
    ["an existing folder", { folderExists: true }, "folder-exists"],
    ["one byte too little space", { datastoreFreeBytes: plan.bytesNeeded - 1 }, "not-enough-space"],
  ];
  for (const [what, facts, refusal] of cases) {
    it(`${refusal === undefined ? "accepts" : "refuses"} ${what}`, () => {
      const check = (): void => checkHostRestoreTarget(plan, { ...fine, ...facts });
      if (refusal === undefined) check();
      else assert.throws(check, (error: unknown) => error instanceof HostRestoreRefusedError && error.refusal === refusal);
    });
  }
});
