// The host-side writer must run on the oldest Python a supported host ships (3.5 on ESXi 6.7), and must
// acknowledge a frame only once it is wholly written: a frame cut off by a lost connection is never
// acknowledged, so the restore sends it again (docs/adr/0027). Run here with the system's python3.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkHostPythonScript } from "@esxbackup/esxi-simulator";
import { FLAT_WRITER_PYTHON_SCRIPT } from "./flat-writer-python-script.js";

const MIB = 1024 * 1024;

it("the flat-file writer is valid for the Python of ESXi 6.7, 7.0 and 8.0", async () => {
  for (const release of ["6.7", "7.0", "8.0"]) assert.deepEqual(await checkHostPythonScript(FLAT_WRITER_PYTHON_SCRIPT, release), [], release);
});

function frame(offsetBytes: number, data: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeBigUInt64BE(BigInt(offsetBytes), 0);
  header.writeBigUInt64BE(BigInt(data.length), 8);
  return Buffer.concat([header, data]);
}

/** A frame asking the host for `lengthBytes` zeros at `offsetBytes` (no data follows). */
function zeroFrame(offsetBytes: number, lengthBytes: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeBigUInt64BE(BigInt(offsetBytes), 0);
  header.writeBigUInt64BE(BigInt(lengthBytes) + (1n << 63n), 8);
  return header;
}

async function runWriter(flat: string, input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("python3", ["-c", FLAT_WRITER_PYTHON_SCRIPT, flat], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

describe("the flat-file writer's acknowledgements", () => {
  const work = mkdtempSync(join(tmpdir(), "esxbackup-flat-writer-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("acknowledges each frame once written, then reports the total after the fsync", async () => {
    const flat = join(work, "whole-flat.vmdk");
    await writeFile(flat, Buffer.alloc(4 * MIB));
    const result = await runWriter(flat, Buffer.concat([frame(0, Buffer.alloc(MIB, 0xaa)), frame(2 * MIB, Buffer.alloc(MIB, 0xbb))]));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `ok 0 ${MIB}\nok ${2 * MIB} ${MIB}\nwritten 2 ${2 * MIB}\n`);
    const disk = await readFile(flat);
    assert.ok(disk.subarray(2 * MIB, 3 * MIB).equals(Buffer.alloc(MIB, 0xbb)));
  });

  it("never acknowledges a frame whose input was cut off in the middle", async () => {
    const flat = join(work, "cut-flat.vmdk");
    await writeFile(flat, Buffer.alloc(4 * MIB));
    const cut = frame(2 * MIB, Buffer.alloc(MIB, 0xbb)).subarray(0, 16 + MIB / 2);
    const result = await runWriter(flat, Buffer.concat([frame(0, Buffer.alloc(MIB, 0xaa)), cut]));
    assert.equal(result.code, 3);
    assert.equal(result.stdout, `ok 0 ${MIB}\n`, "only the whole frame is acknowledged");
    assert.match(result.stderr, /^esxbackup-write: input ended inside a frame\n$/u);
    assert.ok((await readFile(flat)).subarray(0, MIB).equals(Buffer.alloc(MIB, 0xaa)));
  });
});

describe("zero runs on a thin disk", () => {
  const work = mkdtempSync(join(tmpdir(), "esxbackup-flat-writer-zeros-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("zeroes the data in a run and leaves its never-written regions unallocated, so the disk stays thin", async () => {
    // A sparse file stands for a thin VMFS disk: both allocate a block on any write, zeros included.
    const flat = join(work, "thin-flat.vmdk");
    const file = await open(flat, "w");
    await file.truncate(8 * MIB);
    await file.write(Buffer.alloc(128 * 1024, 0xaa), 0, 128 * 1024, MIB);
    await file.write(Buffer.alloc(1000, 0xbb), 0, 1000, 5 * MIB + 70_000);
    await file.close();
    const allocatedBefore = (await stat(flat)).blocks * 512;
    const result = await runWriter(flat, Buffer.concat([zeroFrame(0, 8 * MIB)]));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `ok 0 ${8 * MIB}\nwritten 1 ${8 * MIB}\n`);
    assert.ok((await readFile(flat)).equals(Buffer.alloc(8 * MIB)), "the whole run reads as zeros");
    const allocatedAfter = (await stat(flat)).blocks * 512;
    assert.ok(allocatedAfter <= allocatedBefore, `allocated ${allocatedBefore} bytes before, ${allocatedAfter} after zeroing`);
    assert.ok(allocatedAfter < MIB, `${allocatedAfter} bytes allocated: the empty regions were written`);
  });
});
