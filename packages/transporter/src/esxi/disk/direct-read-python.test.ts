// The host's Python programs read through DiskFile (direct reads where the file system allows them): run here
// with this machine's Python over files whose size is not whole sectors, at aligned and unaligned offsets,
// their output is exactly the file's bytes and the digests of its blocks; past the end they fail as before.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BLOCK_HASH_PYTHON_SCRIPT } from "../hashing/block-hash-python-script.js";
import { DISK_READ_PYTHON_SCRIPT } from "./disk-read-python-script.js";

const BLOCK = 65536;

function python(script: string, args: string[], input?: string): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync("python3", ["-c", script, ...args], { input: input ?? "", maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** What the hash script prints for [offset, offset + length) of `bytes`. */
function expectedLines(bytes: Buffer, offset: number, length: number, block: number): string {
  const lines: string[] = [];
  for (let at = offset; at < offset + length; at += block) {
    const piece = bytes.subarray(at, Math.min(at + block, offset + length));
    lines.push(piece.every((byte) => byte === 0) ? "Z" : createHash("sha1").update(piece).digest("hex"));
  }
  return lines.map((line) => `${line}\n`).join("");
}

describe("direct reads on the host (DiskFile)", () => {
  let dir: string;
  let path: string;
  let bytes: Buffer;

  before(() => {
    // A disk of 9 MiB and 1 byte, more than one 8 MiB read: data, a zero stretch, data, and a last odd byte.
    dir = mkdtempSync(join(tmpdir(), "esxbackup-direct-read-"));
    path = join(dir, "disk-flat.vmdk");
    bytes = Buffer.alloc(9 * 1024 * 1024 + 1);
    for (let at = 0; at < 3 * 1024 * 1024; at += 1) bytes[at] = (at * 7919) % 251;
    for (let at = 6 * 1024 * 1024; at < bytes.length; at += 1) bytes[at] = (at * 31) % 253 || 1;
    writeFileSync(path, bytes);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the hash script prints the digest of every block, the disk's short last one included", () => {
    for (const [offset, length] of [
      [0, bytes.length],
      [2 * BLOCK, bytes.length - 2 * BLOCK],
      [BLOCK, 5 * BLOCK],
    ] as const) {
      const result = python(BLOCK_HASH_PYTHON_SCRIPT, [path, "sha1", String(offset), String(length), String(BLOCK)]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.toString("utf8"), expectedLines(bytes, offset, length, BLOCK), `${offset}+${length}`);
    }
  });

  it("the reader answers each request with exactly the file's bytes, at sector-aligned offsets or not", () => {
    const requests: [number, number][] = [
      [0, 4 * 1024 * 1024],
      [1000, 5000],
      [4 * 1024 * 1024, 4 * 1024 * 1024],
      [8 * 1024 * 1024, bytes.length - 8 * 1024 * 1024],
      [bytes.length - 3, 3],
    ];
    const result = python(DISK_READ_PYTHON_SCRIPT, [path], requests.map(([offset, length]) => `${offset} ${length}\n`).join(""));
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stdout.equals(Buffer.concat(requests.map(([offset, length]) => bytes.subarray(offset, offset + length)))));
  });

  it("past the file's end both fail with status 3, naming where it ends", () => {
    const hash = python(BLOCK_HASH_PYTHON_SCRIPT, [path, "sha1", "0", String(bytes.length + 1), String(BLOCK)]);
    assert.equal(hash.status, 3);
    assert.match(hash.stderr, new RegExp(`^esxbackup-hash: the file ends before byte ${bytes.length + 1} \\(read ${bytes.length}\\)`, "u"));
    const read = python(DISK_READ_PYTHON_SCRIPT, [path], `${8 * 1024 * 1024} ${2 * 1024 * 1024}\n`);
    assert.equal(read.status, 3);
    assert.equal(read.stdout.length, bytes.length - 8 * 1024 * 1024, "the bytes it had, then the failure");
    assert.match(read.stderr, new RegExp(`^esxbackup-read: the file ends at byte ${bytes.length}, before byte ${10 * 1024 * 1024}`, "u"));
  });

  it("blocks that start with zeros are told from zero blocks, directly read or not, by the hash script and the fingerprinting reader", () => {
    // Zeros then data at the end, 16 zeros then data, 15 zeros then data, a zero block, and a zero tail shorter than the probe.
    const file = Buffer.alloc(4 * BLOCK + 5);
    file.fill(0xab, 16, BLOCK);
    file[2 * BLOCK - 1] = 1;
    file.fill(0xcd, 3 * BLOCK + 15, 4 * BLOCK);
    const zeros = join(dir, "zeros-flat.vmdk");
    writeFileSync(zeros, file);
    // Offset 0 is read directly; offset 1000 is not aligned, so every read of it goes through the ordinary descriptor.
    for (const offset of [0, 1000]) {
      const hash = python(BLOCK_HASH_PYTHON_SCRIPT, [zeros, "sha1", String(offset), String(file.length - offset), String(BLOCK)]);
      assert.equal(hash.status, 0, hash.stderr);
      assert.equal(hash.stdout.toString("utf8"), expectedLines(file, offset, file.length - offset, BLOCK), `from ${offset}`);
    }
    const read = python(DISK_READ_PYTHON_SCRIPT, [zeros, "sha1", String(BLOCK)], `0 ${file.length}\n`);
    assert.equal(read.status, 0, read.stderr);
    const records: Buffer[] = [];
    const sent: Buffer[] = [];
    for (let at = 0; at < file.length; at += BLOCK) {
      const block = file.subarray(at, Math.min(at + BLOCK, file.length));
      if (block.every((byte) => byte === 0)) {
        records.push(Buffer.concat([Buffer.from("Z"), Buffer.alloc(20)]));
      } else {
        records.push(Buffer.concat([Buffer.from("D"), createHash("sha1").update(block).digest()]));
        sent.push(block);
      }
    }
    assert.equal(sent.length, 3, "three blocks hold data");
    assert.ok(read.stdout.equals(Buffer.concat([...records, ...sent])));
  });

  it("a file of whole sectors read past its end: the bytes it has, never what the buffer held before", () => {
    const sectors = join(dir, "sectors-flat.vmdk");
    const size = 1024 * 1024 + 8192;
    writeFileSync(sectors, bytes.subarray(0, size));
    // The first request fills the reader's buffer; the second ends past the file, in whole sectors short.
    const read = python(DISK_READ_PYTHON_SCRIPT, [sectors], `0 ${size}\n${1024 * 1024} ${3 * 1024 * 1024}\n`);
    assert.equal(read.status, 3);
    assert.equal(read.stdout.length, size + 8192);
    assert.ok(read.stdout.equals(Buffer.concat([bytes.subarray(0, size), bytes.subarray(1024 * 1024, size)])));
    const hash = python(BLOCK_HASH_PYTHON_SCRIPT, [sectors, "sha1", "0", String(size + BLOCK), String(BLOCK)]);
    assert.equal(hash.status, 3);
    assert.match(hash.stderr, new RegExp(`the file ends before byte ${size + BLOCK} \\(read ${size}\\)`, "u"));
  });
});
