import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ChangeFingerprints } from "@esxbackup/domain";
import { MAX_HOST_READ_HASH_PART_BYTES, chooseHostFingerprintKind, hashPartCount, hostReadHashPartBytes } from "./host-fingerprint-kind.js";
import type { HostDiskKind } from "./host-disk-hashing.js";

const GIB = 1024 ** 3;
const TIB = 1024 * GIB;
const K = 1024;
const MIB = 1024 * K;

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

describe("hostReadHashPartBytes: a part of the hash pass under a host read limit", () => {
  const table: [string, number, number, number][] = [
    ["one second at the limit, 50 MiB/s", 50 * MIB, 64 * K, 50 * MIB],
    ["rounded down to whole blocks", 50 * MIB + 12345, 64 * K, 50 * MIB],
    ["not below 1 MiB at the least limit (64 KiB/s): a part each 16 s", 64 * K, 64 * K, MIB],
    ["not below 1 MiB just under it", MIB - 1, 64 * K, MIB],
    ["1 MiB at 1 MiB/s", MIB, 64 * K, MIB],
    ["at least one block when blocks are larger than a second at the limit", 2 * MIB, 16 * MIB, 16 * MIB],
    ["whole blocks of 4 MiB: 12 MiB for 14.5 MiB/s", 14.5 * MIB, 4 * MIB, 12 * MIB],
    ["not above 1 GiB: a limit a host cannot reach", 4 * GIB, 64 * K, GIB],
    ["exactly 1 GiB/s", GIB, 64 * K, GIB],
    ["a block size that does not divide the bounds: whole blocks, not over the bound", 10 * GIB, 3 * MIB, 341 * 3 * MIB],
  ];
  for (const [name, rate, block, expected] of table) it(name, () => assert.equal(hostReadHashPartBytes(rate, block), expected));
  it("bad limits and blocks are refused", () => {
    for (const rate of [0, -1, Number.NaN, Infinity]) assert.throws(() => hostReadHashPartBytes(rate, 64 * K), /positive number of bytes per second/u, String(rate));
    for (const block of [0, 1.5, -4096]) assert.throws(() => hostReadHashPartBytes(MIB, block), /whole number of bytes/u, String(block));
  });
});

describe("hashPartCount under a host read limit", () => {
  it("without a limit: the parts as before, whatever the disk", () => {
    assert.equal(hashPartCount(40 * GIB, 64 * K, 4, undefined), 4);
    assert.equal(hashPartCount(12 * MIB, 64 * K, 1), 1);
  });
  const table: [string, number, number, number, number][] = [
    ["12 MiB at 2 MiB/s, one lane: six parts of 2 MiB", 12 * MIB, 1, 2 * MIB, 6],
    ["a partial last part counts", 13 * MIB, 1, 2 * MIB, 7],
    ["40 GiB at 100 MiB/s: 410 parts (each under 100 MiB)", 40 * GIB, 4, 100 * MIB, 410],
    ["a limit above the disk's size: the channels' parts", 40 * MIB, 4, 500 * MIB, 4],
    ["a fast limit on a huge disk: parts of at most 1 GiB", 1.5 * TIB, 4, 8 * GIB, 1536],
    ["a disk smaller than a block: one part", 4096, 1, 64 * K, 1],
  ];
  for (const [name, size, channels, rate, expected] of table) it(name, () => assert.equal(hashPartCount(size, 64 * K, channels, rate), expected));
  it("no part larger than the bound once split", () => {
    for (const size of [12 * MIB, 12 * MIB + 4096, 40 * GIB + 7 * 64 * K, 3 * TIB]) {
      for (const rate of [64 * K, 3 * MIB + 1, 100 * MIB, 2 * GIB]) {
        const parts = hashPartCount(size, 64 * K, 4, rate);
        assert.ok(Math.ceil(Math.ceil(size / (64 * K)) / parts) * 64 * K <= Math.max(hostReadHashPartBytes(rate, 64 * K), 64 * K), `${size} at ${rate}: ${parts} parts`);
        assert.ok(hostReadHashPartBytes(rate, 64 * K) <= MAX_HOST_READ_HASH_PART_BYTES);
      }
    }
  });
});
