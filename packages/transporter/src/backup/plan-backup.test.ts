import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";
import { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
import type { BackupPlanRefusal } from "./backup-plan-refused-error.js";
import { needsPreviousFingerprints, planBackup, planReads, readsOnce } from "./plan-backup.js";
import type { BackupPlan, BackupPlanRequest, ChangeSource } from "./plan-backup.js";

const K = 1024;
const MD5_64K: ChangeFingerprints = { algorithm: "md5", blockSizeBytes: 64 * K, digestLengthBytes: 16 };
const SHA1_64K: ChangeFingerprints = { algorithm: "sha1", blockSizeBytes: 64 * K, digestLengthBytes: 20 };
const MD5_128K: ChangeFingerprints = { algorithm: "md5", blockSizeBytes: 128 * K, digestLengthBytes: 16 };

/** Fingerprints of a disk written one letter per block ("ab0": a, b, zero); equal letters, equal digests. */
function fingerprints(blocks: string, kind: ChangeFingerprints = MD5_64K): DiskFingerprints {
  const digests = Buffer.concat([...blocks].map((letter) => createHash(kind.algorithm).update(letter).digest()));
  return { ...kind, sizeBytes: blocks.length * kind.blockSizeBytes, digests };
}

const ALL: ChangeSource = { kind: "all" };
const LISTED: ChangeSource = { kind: "listed", ranges: [{ offsetBytes: 0, lengthBytes: 10 }] };
const BY_FINGERPRINTS: ChangeSource = { kind: "fingerprints" };
const P = "20261201-000000-aaaa";

describe("needsPreviousFingerprints: the previous point's fingerprints are read only when used", () => {
  const table: [string, BackupPlanRequest, boolean][] = [
    ["no previous point", { changes: BY_FINGERPRINTS, requested: MD5_64K }, false],
    ["compared with", { changes: BY_FINGERPRINTS, previousPointId: P }, true],
    ["filling the blocks a changed list leaves out", { changes: LISTED, requested: MD5_64K, previousPointId: P }, true],
    ["a changed list, no fingerprints recorded", { changes: LISTED, previousPointId: P }, false],
    ["everything read: fingerprints come from the reads", { changes: ALL, requested: MD5_64K, previousPointId: P }, false],
  ];
  for (const [name, request, expected] of table) it(name, () => assert.equal(needsPreviousFingerprints(request), expected));
});

describe("readsOnce: a disk's first backup by fingerprints, where the source fingerprints as it reads", () => {
  const table: [string, BackupPlanRequest, boolean][] = [
    ["a first backup, the source able", { changes: BY_FINGERPRINTS, requested: SHA1_64K, sourceFingerprintsWhileReading: true }, true],
    ["a first backup, the source not able", { changes: BY_FINGERPRINTS, requested: SHA1_64K }, false],
    ["an incremental: its hash pass finds the few blocks to read", { changes: BY_FINGERPRINTS, requested: SHA1_64K, previousPointId: P, sourceFingerprintsWhileReading: true }, false],
    ["changes unknown: read whole, hashed here", { changes: ALL, requested: SHA1_64K, sourceFingerprintsWhileReading: true }, false],
  ];
  for (const [name, request, expected] of table) it(name, () => assert.equal(readsOnce(request), expected));
});

describe("planBackup", () => {
  const old = fingerprints("abcd");
  const table: [string, BackupPlanRequest, { pointId: string; fingerprints?: DiskFingerprints } | undefined, BackupPlan][] = [
    ["no fingerprints asked, everything read", { changes: ALL }, undefined, { fingerprintFirst: false, hashWhileReading: false }],
    ["a changed list without fingerprints", { changes: LISTED, previousPointId: P }, undefined, { fingerprintFirst: false, hashWhileReading: false }],
    ["fingerprints recorded while everything is read", { changes: ALL, requested: SHA1_64K }, undefined, { record: SHA1_64K, fingerprintFirst: false, hashWhileReading: true }],
    ["a changed list with fingerprints: the rest filled from the previous point's of the same kind",
      { changes: LISTED, requested: MD5_64K, previousPointId: P }, { pointId: P, fingerprints: old },
      { record: MD5_64K, fingerprintFirst: false, hashWhileReading: true, fillFrom: old }],
    ["by fingerprints: the previous point's kind is kept and compared with",
      { changes: BY_FINGERPRINTS, previousPointId: P }, { pointId: P, fingerprints: old },
      { record: MD5_64K, fingerprintFirst: true, compareWith: old, hashWhileReading: false }],
    ["by fingerprints, the same kind asked: accepted",
      { changes: BY_FINGERPRINTS, requested: MD5_64K, previousPointId: P }, { pointId: P, fingerprints: old },
      { record: MD5_64K, fingerprintFirst: true, compareWith: old, hashWhileReading: false }],
    ["by fingerprints without a previous point (a host's first backup): the source fingerprints, nothing to compare",
      { changes: BY_FINGERPRINTS, requested: SHA1_64K }, undefined, { record: SHA1_64K, fingerprintFirst: true, hashWhileReading: false }],
    ["by fingerprints without a previous point, the source fingerprinting as it reads: read once, hashed by the source",
      { changes: BY_FINGERPRINTS, requested: SHA1_64K, sourceFingerprintsWhileReading: true }, undefined,
      { record: SHA1_64K, fingerprintFirst: false, hashWhileReading: true, hashedBySource: true }],
    ["by fingerprints with a previous point, the source fingerprinting as it reads: still compared first (only changed blocks are read)",
      { changes: BY_FINGERPRINTS, requested: MD5_64K, previousPointId: P, sourceFingerprintsWhileReading: true }, { pointId: P, fingerprints: old },
      { record: MD5_64K, fingerprintFirst: true, compareWith: old, hashWhileReading: false }],
    ["everything read, changes unknown, though the source could fingerprint as it reads: hashed here, as it always was",
      { changes: ALL, requested: SHA1_64K, sourceFingerprintsWhileReading: true }, undefined, { record: SHA1_64K, fingerprintFirst: false, hashWhileReading: true }],
  ];
  for (const [name, request, previous, expected] of table) it(name, () => assert.deepEqual(planBackup(request, previous), expected));

  const rehash = (record: ChangeFingerprints, fingerprintFirst = true): BackupPlan => ({ record, fingerprintFirst, rehashPrevious: true, hashWhileReading: !fingerprintFirst });
  const rehashes: [string, BackupPlanRequest, { pointId: string; fingerprints?: DiskFingerprints }, BackupPlan][] = [
    ["by fingerprints, the previous point has none", { changes: BY_FINGERPRINTS, requested: MD5_64K, previousPointId: P }, { pointId: P }, rehash(MD5_64K)],
    ["by fingerprints, another algorithm asked", { changes: BY_FINGERPRINTS, requested: SHA1_64K, previousPointId: P }, { pointId: P, fingerprints: old }, rehash(SHA1_64K)],
    ["by fingerprints, another block asked", { changes: BY_FINGERPRINTS, requested: MD5_128K, previousPointId: P }, { pointId: P, fingerprints: old }, rehash(MD5_128K)],
    ["by fingerprints, the previous point's kind is one this program cannot compute", { changes: BY_FINGERPRINTS, requested: MD5_64K, previousPointId: P },
      { pointId: P, fingerprints: { ...old, algorithm: "xxh3" as "md5" } }, rehash(MD5_64K)],
    ["a changed list with fingerprints, the previous point has none", { changes: LISTED, requested: MD5_64K, previousPointId: P }, { pointId: P }, rehash(MD5_64K, false)],
    ["a changed list with fingerprints, the previous point has another kind", { changes: LISTED, requested: SHA1_64K, previousPointId: P }, { pointId: P, fingerprints: old }, rehash(SHA1_64K, false)],
  ];
  for (const [name, request, previous, expected] of rehashes) it(`hashes the previous disk again, never reads it all: ${name}`, () => assert.deepEqual(planBackup(request, previous), expected));

  const refusals: [string, BackupPlanRequest, { pointId: string; fingerprints?: DiskFingerprints }, BackupPlanRefusal][] = [
    ["by fingerprints, the previous point has none and no kind is asked", { changes: BY_FINGERPRINTS, previousPointId: P }, { pointId: P }, { reason: "previous-has-no-fingerprints", previousPointId: P }],
    ["by fingerprints, an algorithm this program cannot compute and no kind asked", { changes: BY_FINGERPRINTS, previousPointId: P },
      { pointId: P, fingerprints: { ...old, algorithm: "xxh3" as "md5" } }, { reason: "previous-kind-not-computable", previousPointId: P, previous: { algorithm: "xxh3", blockSizeBytes: 64 * K } }],
    ["by fingerprints, a block size this program cannot compute and no kind asked", { changes: BY_FINGERPRINTS, previousPointId: P },
      { pointId: P, fingerprints: { ...old, blockSizeBytes: 1000 } }, { reason: "previous-kind-not-computable", previousPointId: P, previous: { algorithm: "md5", blockSizeBytes: 1000 } }],
  ];
  for (const [name, request, previous, refusal] of refusals) {
    it(`refuses: ${name}`, () => {
      assert.throws(() => planBackup(request, previous), (error: unknown) => error instanceof BackupPlanRefusedError && (assert.deepEqual(error.refusal, refusal), true));
    });
  }
});

describe("planReads", () => {
  const CHUNK = 128 * K;
  const zeros = (blocks: string): Uint8Array => Uint8Array.from([...blocks], (letter) => (letter === "0" ? 1 : 0));
  const current = (blocks: string): { fingerprints: DiskFingerprints; zeroBlocks: Uint8Array } => ({ fingerprints: fingerprints(blocks), zeroBlocks: zeros(blocks) });
  const blocks = (first: number, count: number): { offsetBytes: number; lengthBytes: number } => ({ offsetBytes: first * 64 * K, lengthBytes: count * 64 * K });
  const BY_HOST: BackupPlan = { record: MD5_64K, fingerprintFirst: true, hashWhileReading: false };
  const previous = (previousBlocks: string): { sizeBytes: number; fingerprints: DiskFingerprints } => ({ sizeBytes: previousBlocks.length * 64 * K, fingerprints: fingerprints(previousBlocks) });

  it("whole chunks: everything, or those of the listed ranges, when the source does not fingerprint first", () => {
    const plan: BackupPlan = { fingerprintFirst: false, hashWhileReading: false };
    assert.deepEqual(planReads({ changes: ALL, plan, chunkSizeBytes: CHUNK }), { kind: "chunks" });
    assert.deepEqual(planReads({ changes: LISTED, plan, chunkSizeBytes: CHUNK }), { kind: "chunks", ranges: LISTED.kind === "listed" ? LISTED.ranges : [] });
  });

  const table: [string, string | undefined, string, ReturnType<typeof planReads>][] = [
    // Two 64 KiB blocks per 128 KiB chunk.
    ["one changed block: only it is read, its chunk patched", "ab" + "cd" + "ef", "ab" + "cX" + "ef",
      { kind: "blocks", builds: [{ index: 1, kind: "patch" }], readRanges: [blocks(3, 1)], zeroRanges: [], changed: { ranges: 1, bytes: 64 * K } }],
    ["a chunk the source found zero: written as zero, not read; a zero block in a changed chunk not read either", "ab" + "cd" + "ef", "ab" + "00" + "0Y",
      { kind: "blocks", builds: [{ index: 1, kind: "zero" }, { index: 2, kind: "new" }], readRanges: [blocks(5, 1)], zeroRanges: [blocks(2, 3)], changed: { ranges: 1, bytes: 4 * 64 * K } }],
    ["nothing changed: nothing read", "ab" + "cd", "ab" + "cd", { kind: "blocks", builds: [], readRanges: [], zeroRanges: [], changed: { ranges: 0, bytes: 0 } }],
    ["a first backup by fingerprints: every non-zero block", undefined, "ab" + "00" + "c0",
      { kind: "blocks", builds: [{ index: 0, kind: "new" }, { index: 1, kind: "zero" }, { index: 2, kind: "new" }], readRanges: [blocks(0, 2), blocks(4, 1)], zeroRanges: [blocks(2, 2), blocks(5, 1)], changed: { ranges: 2, bytes: 6 * 64 * K } }],
    ["a grown disk: the new tail read, the old last chunk patched to its new length", "ab" + "c", "ab" + "cd" + "e",
      { kind: "blocks", builds: [{ index: 1, kind: "patch" }, { index: 2, kind: "new" }], readRanges: [blocks(3, 2)], zeroRanges: [], changed: { ranges: 1, bytes: 2 * 64 * K } }],
    ["a shrunk disk: the new last chunk patched (cut) though none of its blocks changed", "ab" + "cd" + "ef", "ab" + "c",
      { kind: "blocks", builds: [{ index: 1, kind: "patch" }], readRanges: [], zeroRanges: [], changed: { ranges: 0, bytes: 0 } }],
  ];
  for (const [name, previousBlocks, currentBlocks, expected] of table) {
    it(name, () =>
      assert.deepEqual(
        planReads({ changes: BY_FINGERPRINTS, plan: BY_HOST, chunkSizeBytes: CHUNK, current: current(currentBlocks), ...(previousBlocks === undefined ? {} : { previous: previous(previousBlocks) }) }),
        expected,
      ),
    );
  }

  it("previous fingerprints that do not describe the previous disk: hash it again, never read everything instead", () => {
    const reads = planReads({ changes: BY_FINGERPRINTS, plan: BY_HOST, chunkSizeBytes: CHUNK, current: current("abcd"), previous: { ...previous("abcd"), sizeBytes: 5 * 64 * K } });
    assert.equal(reads.kind, "re-hash-previous");
    assert.match(reads.kind === "re-hash-previous" ? reads.reason : "", /describe 262144 bytes, its disk holds 327680/u);
  });
});
