import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { parseVmdkDescriptor, type VmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";
import { walkDiskChain, type DiskChain } from "./walk-disk-chain.js";

const DIR = "/vmfs/volumes/datastore1/sql";

/** A delta descriptor (the layout of esxi-facts 2.3's vmfsSparse sample). */
function delta(cid: string, parentCid: string, hint: string, extent = "sql-000001-delta.vmdk"): string {
  return `# Disk DescriptorFile\nversion=1\nencoding="UTF-8"\nCID=${cid}\nparentCID=${parentCid}\nisNativeSnapshot="no"\ncreateType="vmfsSparse"\nparentFileNameHint="${hint}"\n# Extent description\nRW 16777216 VMFSSPARSE "${extent}"\n`;
}

/** Walks as the inventory does: reads what the walk asks for until it asks for nothing; records the reads. */
function walk(top: string, files: Record<string, string>): { chain: Exclude<DiskChain, { missing: string }>; reads: string[] } {
  const descriptors = new Map<string, VmdkDescriptor>();
  const reads: string[] = [];
  for (;;) {
    const chain = walkDiskChain(top, descriptors);
    if (!("missing" in chain)) return { chain, reads };
    const text = files[chain.missing];
    if (text === undefined) throw new Error(`test host has no ${chain.missing}`);
    reads.push(chain.missing);
    descriptors.set(chain.missing, parseVmdkDescriptor(text, chain.missing));
  }
}

const sqlBase = fixtureText("vmdk-base-thick-old-verbatim.txt"); // CID 5352cace

test("chain: a base alone is its own chain", () => {
  const { chain, reads } = walk(`${DIR}/sql.vmdk`, { [`${DIR}/sql.vmdk`]: sqlBase });
  assert.deepEqual(reads, [`${DIR}/sql.vmdk`]);
  assert.deepEqual([chain.links.map((l) => l.path), chain.problem], [[`${DIR}/sql.vmdk`], undefined]);
});

test("chain: CIDs in upper case, a relative and an absolute parent hint (the datastore by uuid, as replication writes it)", () => {
  const byUuid = "/vmfs/volumes/501d996c-86c66169-eea2-005056b007c1/sql/sql.vmdk";
  const { chain, reads } = walk(`${DIR}/sql-000002.vmdk`, {
    [`${DIR}/sql-000002.vmdk`]: delta("B9807598", "984805A6", "sql-000001.vmdk", "sql-000002-delta.vmdk"),
    [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "5352CACE", byUuid),
    [byUuid]: sqlBase,
  });
  assert.deepEqual(reads, [`${DIR}/sql-000002.vmdk`, `${DIR}/sql-000001.vmdk`, byUuid]);
  assert.deepEqual(
    chain.links.map((l) => l.path),
    [byUuid, `${DIR}/sql-000001.vmdk`, `${DIR}/sql-000002.vmdk`],
  );
  assert.equal(chain.problem, undefined);
});

test("chain: a parent whose name starts with a letter and a colon is a file name, not a Windows drive", () => {
  const { chain } = walk(`${DIR}/D:drive-000001.vmdk`, { [`${DIR}/D:drive-000001.vmdk`]: delta("984805a6", "5352cace", "D:drive.vmdk"), [`${DIR}/D:drive.vmdk`]: sqlBase });
  assert.deepEqual([chain.links[0]?.path, chain.problem], [`${DIR}/D:drive.vmdk`, undefined]);
});

test("chain: a backslash inside a parent's name is part of the file name", () => {
  const { chain } = walk(`${DIR}/a\\b-000001.vmdk`, { [`${DIR}/a\\b-000001.vmdk`]: delta("984805a6", "5352cace", "a\\b.vmdk"), [`${DIR}/a\\b.vmdk`]: sqlBase });
  assert.deepEqual([chain.links[0]?.path, chain.problem], [`${DIR}/a\\b.vmdk`, undefined]);
});

test("chain: a parent on another datastore, named by a relative path that leaves the folder", () => {
  const { chain } = walk(`${DIR}/sql-000001.vmdk`, { [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "5352cace", "../../datastore2/base/sql.vmdk"), "/vmfs/volumes/datastore2/base/sql.vmdk": sqlBase });
  assert.deepEqual([chain.links[0]?.path, chain.problem], ["/vmfs/volumes/datastore2/base/sql.vmdk", undefined]);
});

test("chain: a vSAN snapshot (vsanSparse, verbatim) is followed to its base like any delta", () => {
  const vsanDir = "/vmfs/volumes/vsanDatastore/snap-mig-test";
  const vsanBase = '# Disk DescriptorFile\nversion=4\nCID=fffffffe\nparentCID=ffffffff\ncreateType="vmfs"\nRW 83886080 VMFS "vsan://2c52ae55-aa2e-1f22-2d2e-001517a69c72"\n';
  const { chain } = walk(`${vsanDir}/snap-mig-test-000001.vmdk`, { [`${vsanDir}/snap-mig-test-000001.vmdk`]: fixtureText("vmdk-vsansparse-delta-verbatim.txt"), [`${vsanDir}/snap-mig-test.vmdk`]: vsanBase });
  assert.deepEqual([chain.links.length, chain.problem], [2, undefined]);
});

const broken: { name: string; files: Record<string, string>; problem: RegExp }[] = [
  {
    name: "a CID that does not match (vmkfstools -e: Content ID mismatch)",
    files: { [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "ed06b3ce", "sql.vmdk"), [`${DIR}/sql.vmdk`]: sqlBase },
    problem: /^content id mismatch: .*sql-000001\.vmdk expects parent CID ed06b3ce, .*\/sql\.vmdk has 5352cace$/u,
  },
  { name: "a delta that names no parent", files: { [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "5352cace", "").replace('parentFileNameHint=""\n', "") }, problem: /sql-000001\.vmdk is a delta without parentFileNameHint$/u },
  { name: "a delta with an empty parent hint", files: { [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "5352cace", "") }, problem: /is a delta without parentFileNameHint$/u },
  {
    name: "a parent named by a Windows path (a hosted product's linked clone)",
    files: { [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "5352cace", "C:\\VMs\\base\\sql.vmdk") },
    problem: /names its parent by a Windows path \(C:\\VMs\\base\\sql\.vmdk\), not a path on this host$/u,
  },
  { name: "a parent named by a UNC path", files: { [`${DIR}/sql-000001.vmdk`]: delta("984805a6", "5352cace", "\\\\nas\\vms\\sql.vmdk") }, problem: /names its parent by a Windows path \(\\\\nas\\vms\\sql\.vmdk\)/u },
  {
    name: "two deltas naming each other",
    files: { [`${DIR}/a.vmdk`]: delta("00000001", "00000002", "b.vmdk"), [`${DIR}/b.vmdk`]: delta("00000002", "00000001", "a.vmdk") },
    problem: /^the chain comes back to .*\/a\.vmdk \(named as parent by .*\/b\.vmdk\)$/u,
  },
];
for (const c of broken) {
  test(`chain: ${c.name} stops the walk with the reason`, () => {
    const top = Object.keys(c.files)[0] as string;
    const { chain } = walk(top, c.files);
    assert.match(chain.problem ?? "", c.problem);
  });
}

test("chain: a chain longer than any the host makes is stopped", () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 70; i++) files[`${DIR}/d-${i}.vmdk`] = delta("00000001", "00000001", `d-${i + 1}.vmdk`);
  const { chain } = walk(`${DIR}/d-0.vmdk`, files);
  assert.equal(chain.links.length, 64);
  assert.match(chain.problem ?? "", /^more than 64 descriptors in the chain of .*d-0\.vmdk$/u);
});
