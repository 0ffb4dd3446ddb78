import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";
import { BackupPlanRefusedError } from "./backup-plan-refused-error.js";
import type { BackupPlanRefusal } from "./backup-plan-refused-error.js";
import { needsPreviousFingerprints, planBackup, planReads } from "./plan-backup.js";
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
  ];
  for (const [name, request, previous, expected] of table) it(name, () => assert.deepEqual(planBackup(request, previous), expected));

  const refusals: [string, BackupPlanRequest, { pointId: string; fingerprints?: DiskFingerprints }, BackupPlanRefusal][] = [
    ["by fingerprints, the previous point has none", { changes: BY_FINGERPRINTS, previousPointId: P }, { pointId: P }, { reason: "previous-has-no-fingerprints", previousPointId: P }],
    ["by fingerprints, another algorithm asked", { changes: BY_FINGERPRINTS, requested: SHA1_64K, previousPointId: P }, { pointId: P, fingerprints: old },
      { reason: "kind-differs-from-previous", previousPointId: P, requested: SHA1_64K, previous: MD5_64K }],
    ["by fingerprints, another block asked", { changes: BY_FINGERPRINTS, requested: MD5_128K, previousPointId: P }, { pointId: P, fingerprints: old },
      { reason: "kind-differs-from-previous", previousPointId: P, requested: MD5_128K, previous: MD5_64K }],
    ["by fingerprints, an algorithm this program cannot compute", { changes: BY_FINGERPRINTS, previousPointId: P },
      { pointId: P, fingerprints: { ...old, algorithm: "xxh3" as "md5" } }, { reason: "previous-kind-not-computable", previousPointId: P, previous: { algorithm: "xxh3", blockSizeBytes: 64 * K } }],
    ["by fingerprints, a block size this program cannot compute", { changes: BY_FINGERPRINTS, previousPointId: P },
      { pointId: P, fingerprints: { ...old, blockSizeBytes: 1000 } }, { reason: "previous-kind-not-computable", previousPointId: P, previous: { algorithm: "md5", blockSizeBytes: 1000 } }],
    ["a changed list with fingerprints, the previous point has none", { changes: LISTED, requested: MD5_64K, previousPointId: P }, { pointId: P },
      { reason: "listed-needs-previous-of-same-kind", previousPointId: P, requested: MD5_64K }],
    ["a changed list with fingerprints, the previous point has another kind", { changes: LISTED, requested: SHA1_64K, previousPointId: P }, { pointId: P, fingerprints: old },
      { reason: "listed-needs-previous-of-same-kind", previousPointId: P, requested: SHA1_64K, previous: MD5_64K }],
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
  const chunkRange = (index: number): { offsetBytes: number; lengthBytes: number } => ({ offsetBytes: index * CHUNK, lengthBytes: CHUNK });
  const compare = (previousBlocks: string): BackupPlan => ({ record: MD5_64K, fingerprintFirst: true, compareWith: fingerprints(previousBlocks), hashWhileReading: false });

  it("everything, or the listed ranges, when the source does not fingerprint first", () => {
    const plan: BackupPlan = { fingerprintFirst: false, hashWhileReading: false };
    assert.deepEqual(planReads({ changes: ALL, plan, chunkSizeBytes: CHUNK }), { zeroChunks: [] });
    assert.deepEqual(planReads({ changes: LISTED, plan, chunkSizeBytes: CHUNK }), { ranges: LISTED.kind === "listed" ? LISTED.ranges : [], zeroChunks: [] });
  });

  const table: [string, BackupPlan, string, ReturnType<typeof planReads>][] = [
    // Two 64 KiB blocks per 128 KiB chunk.
    ["one changed block: its whole chunk read, the changed bytes counted", compare("ab" + "cd" + "ef"), "ab" + "cX" + "ef",
      { ranges: [chunkRange(1)], zeroChunks: [], changed: { ranges: 1, bytes: 64 * K } }],
    ["a chunk the source found zero: written as zero, not read", compare("ab" + "cd" + "ef"), "ab" + "00" + "eY",
      { ranges: [chunkRange(2)], zeroChunks: [1], changed: { ranges: 1, bytes: 3 * 64 * K } }],
    ["nothing changed: nothing read", compare("ab" + "cd"), "ab" + "cd", { ranges: [], zeroChunks: [], changed: { ranges: 0, bytes: 0 } }],
    ["a first backup by fingerprints: every chunk but the zero ones", { record: MD5_64K, fingerprintFirst: true, hashWhileReading: false }, "ab" + "00" + "c0",
      { ranges: [chunkRange(0), chunkRange(2)], zeroChunks: [1], changed: { ranges: 2, bytes: 6 * 64 * K } }],
  ];
  for (const [name, plan, blocks, expected] of table) {
    it(name, () => assert.deepEqual(planReads({ changes: BY_FINGERPRINTS, plan, chunkSizeBytes: CHUNK, current: current(blocks), previous: { pointId: P, diskSizeBytes: plan.compareWith?.sizeBytes ?? 0 } }), expected));
  }

  it("refuses previous fingerprints that do not describe the previous disk, never reading everything instead", () => {
    assert.throws(
      () => planReads({ changes: BY_FINGERPRINTS, plan: compare("abcd"), chunkSizeBytes: CHUNK, current: current("abcd"), previous: { pointId: P, diskSizeBytes: 5 * 64 * K } }),
      (error: unknown) => error instanceof BackupPlanRefusedError && error.refusal.reason === "previous-fingerprints-incomparable" && /describe 262144 bytes, its disk holds 327680/u.test(error.refusal.detail),
    );
  });
});
