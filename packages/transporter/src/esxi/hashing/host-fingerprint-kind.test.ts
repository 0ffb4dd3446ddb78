import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ChangeFingerprints } from "@esxbackup/domain";
import { chooseHostFingerprintKind, hashPartCount } from "./host-fingerprint-kind.js";
import type { HostDiskKind } from "./host-disk-hashing.js";

const GIB = 1024 ** 3;
const TIB = 1024 * GIB;
const K = 1024;

describe("chooseHostFingerprintKind", () => {
  const table: [string, number, ChangeFingerprints | undefined, HostDiskKind][] = [
    ["first backup of a 40 GiB disk: sha1 per 64 KiB", 40 * GIB, undefined, { algorithm: "sha1", blockSizeBytes: 64 * K }],
    ["the previous point's md5/64K is kept, so no re-hash", 40 * GIB, { algorithm: "md5", blockSizeBytes: 64 * K, digestLengthBytes: 16 }, { algorithm: "md5", blockSizeBytes: 64 * K }],
    ["the previous point's sha256/1M is kept", 40 * GIB, { algorithm: "sha256", blockSizeBytes: 1024 * K, digestLengthBytes: 32 }, { algorithm: "sha256", blockSizeBytes: 1024 * K }],
    ["an unknown previous algorithm: the default", 40 * GIB, { algorithm: "xxh64", blockSizeBytes: 64 * K, digestLengthBytes: 8 }, { algorithm: "sha1", blockSizeBytes: 64 * K }],
    ["1.5 TiB still fits sha1/64K (480 MiB)", 1.5 * TIB, undefined, { algorithm: "sha1", blockSizeBytes: 64 * K }],
    ["2 TiB needs 128K (320 MiB at 64K would be 640 MiB)", 2 * TIB, undefined, { algorithm: "sha1", blockSizeBytes: 128 * K }],
    ["62 TiB, ESXi's largest disk: 4 MiB blocks", 62 * TIB, undefined, { algorithm: "sha1", blockSizeBytes: 4096 * K }],
    ["a previous sha256/64K that no longer fits a grown 3 TiB disk: the default that fits", 3 * TIB, { algorithm: "sha256", blockSizeBytes: 64 * K, digestLengthBytes: 32 }, { algorithm: "sha1", blockSizeBytes: 128 * K }],
  ];
  for (const [name, size, previous, expected] of table) it(name, () => assert.deepEqual(chooseHostFingerprintKind(size, previous), expected));
});

describe("hashPartCount", () => {
  it("one part per channel, more when a part would print over 2^20 lines", () => {
    assert.equal(hashPartCount(40 * GIB, 64 * K, 4), 4);
    assert.equal(hashPartCount(64 * GIB, 64 * K, 1), 1);
    assert.equal(hashPartCount(64 * GIB + 1, 64 * K, 1), 2);
    assert.equal(hashPartCount(1.5 * TIB, 64 * K, 4), 24);
  });
});
