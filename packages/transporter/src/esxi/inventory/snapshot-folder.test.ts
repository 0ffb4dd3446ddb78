import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVmx } from "../parsers/parse-vmx.js";
import { snapshotFolderOf } from "./snapshot-folder.js";

const VMX = "/vmfs/volumes/datastore1/web/web.vmx";
const cases: [string, string, string][] = [
  ["no workingDir: the .vmx's folder", "", "/vmfs/volumes/datastore1/web/"],
  ["an empty workingDir, as older hosts write it", 'workingDir = ""\n', "/vmfs/volumes/datastore1/web/"],
  ["'.'", 'workingDir = "."\n', "/vmfs/volumes/datastore1/web/"],
  ["another datastore, with its trailing slash", 'workingDir = "/vmfs/volumes/fast-ssd/snapshots/web/"\n', "/vmfs/volumes/fast-ssd/snapshots/web/"],
  ["another datastore by UUID, no trailing slash, key in another case", 'WORKINGDIR = "/vmfs/volumes/5f3a1c2e-0b1d2e3f-4a5b-001b21e7d76e/web"\n', "/vmfs/volumes/5f3a1c2e-0b1d2e3f-4a5b-001b21e7d76e/web/"],
  ["a relative folder", 'workingDir = "snaps"\n', "/vmfs/volumes/datastore1/web/snaps/"],
];
for (const [what, vmx, folder] of cases) {
  test(`snapshot folder: ${what}`, () => {
    assert.equal(snapshotFolderOf(parseVmx(vmx), VMX), folder);
  });
}
