import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageReader } from "./image-reader.js";

// A disk-backed folder and tmpfs (which older kernels refuse O_DIRECT on), each with and without O_DIRECT.
const cases = [tmpdir(), ...(existsSync("/dev/shm") ? ["/dev/shm"] : [])].flatMap((base) => [
  { base, direct: true },
  { base, direct: false },
]);

describe("ImageReader", () => {
  for (const { base, direct } of cases) {
    it(`in ${base}, ${direct ? "O_DIRECT where allowed" : "through the page cache"}: slots hold exactly the bytes asked for, whatever the image's size`, async () => {
      const dir = await mkdtemp(join(base, "esxbackup-image-reader-"));
      try {
        const image = randomBytes(3 * 65536 + 517);
        const path = join(dir, "disk.raw");
        await writeFile(path, image);
        const reader = await ImageReader.open(path, 2, 131072, { direct });
        try {
          assert.equal(reader.sizeBytes, image.byteLength);
          if (!direct) assert.equal(reader.direct, false);
          const first = await reader.read(0, 0, 131072);
          const last = await reader.read(1, 131072, 65536 + 517);
          assert.deepEqual(first, image.subarray(0, 131072));
          assert.deepEqual(last, image.subarray(131072));
          // Slots are separate memory: reading into one leaves the other's bytes alone.
          await reader.read(0, 65536, 4096);
          assert.deepEqual(last, image.subarray(131072));
          await assert.rejects(reader.read(0, 196608, 65536), /image: .*disk\.raw changed size while being read \(517 of 65536 bytes at offset 196608\)/);
          await assert.rejects(reader.read(0, 0, 200000), RangeError);
        } finally {
          await reader.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it("a missing image is bad input naming the file", async () => {
    await assert.rejects(ImageReader.open(join(tmpdir(), "no-such-image.raw"), 1, 4096), /image: cannot open .*no-such-image\.raw \(ENOENT\)/);
  });
});
