import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PointId } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, Repository, readDiskFingerprints } from "@esxbackup/repository";
import { runCli as cli, sha256 } from "./cli-test-support.js";

const CHUNK = 16 * 1024;
const BLOCK = 64 * 1024;

async function backUp(args: string[]): Promise<{ point: string; counters: Record<string, number>; fingerprints?: string; changedRanges?: number; changedBytes?: number }> {
  const result = await cli(["repo", "backup-image", ...args, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { point: string; counters: Record<string, number> };
}


function blockDigests(algorithm: string, image: Buffer, block: number): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < image.byteLength; start += block) parts.push(createHash(algorithm).update(image.subarray(start, start + block)).digest());
  return Buffer.concat(parts);
}

async function recordedFingerprints(repo: string, point: string): Promise<Buffer | undefined> {
  const repository = await Repository.open(new LocalDirectoryBlobStore(repo), { threads: 0 });
  try {
    const read = await readDiskFingerprints(repository, point as PointId, 0);
    return read === undefined ? undefined : Buffer.from(read.digests);
  } finally {
    await repository.close();
  }
}

describe("esxbackup repo backup-image: manifest metadata and fingerprints", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-cli-backup-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("records VM id, uuid, host, config files, adapter and geometry; show prints them; restore --config-dir writes them byte-exact, never overwriting", async () => {
    const repo = join(dir, "meta");
    const source = join(dir, "meta.raw");
    const image = randomBytes(5 * CHUNK + 100);
    await writeFile(source, image);
    const config = join(dir, "vm-files");
    await mkdir(config);
    const files: [string, Buffer][] = [
      ["web 01.vmx", Buffer.from('.encoding = "UTF-8"\ndisplayName = "web 01"\nnvram = "web 01.nvram"\n')],
      ["web 01.nvram", randomBytes(8 * 1024 + 3)],
      ["web 01.vmsd", Buffer.alloc(0)],
    ];
    for (const [name, content] of files) await writeFile(join(config, name), content);
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    const uuid = "42 1a 0b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8";
    const { point } = await backUp([
      "--repo", repo, source, "--name", "web 01", "--vm-id", "12", "--vm-uuid", uuid, "--host", "esx1.example.net",
      "--adapter-type", "LsiLogic", "--geometry", "100/16/63", ...files.flatMap(([name]) => ["--config-file", join(config, name)]),
    ]);

    const shown = JSON.parse((await cli(["repo", "show", "--repo", repo, point, "--json"])).stdout) as Record<string, unknown> & { disks: Record<string, unknown>[] };
    assert.deepEqual(shown["vm"], { name: "web 01", id: "12", uuid });
    assert.equal(shown["host"], "esx1.example.net");
    assert.deepEqual(shown["configFiles"], files.map(([name, content]) => ({ name, sizeBytes: content.byteLength })));
    assert.equal(shown.disks[0]?.["adapterType"], "lsilogic");
    assert.deepEqual(shown.disks[0]?.["geometry"], { cylinders: 100, heads: 16, sectors: 63 });
    const text = (await cli(["repo", "show", "--repo", repo, point])).stdout;
    assert.match(text, new RegExp(`vm: +web 01 \\(id 12, uuid ${uuid}\\)`));
    assert.match(text, /host: +esx1\.example\.net/);
    assert.match(text, /config: +web 01\.vmx \(\d+ bytes\), web 01\.nvram \(8195 bytes\), web 01\.vmsd \(0 bytes\)/);
    assert.match(text, /adapter lsilogic, geometry 100\/16\/63/);
    assert.match(text, /fingerprints: -/);

    const out = join(dir, "restored-config");
    const raw = join(dir, "meta.out");
    const restored = await cli(["repo", "restore-image", "--repo", repo, point, raw, "--config-dir", out]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(sha256(await readFile(raw)), sha256(image));
    assert.deepEqual((await readdir(out)).sort(), files.map(([name]) => name).sort());
    for (const [name, content] of files) assert.equal(sha256(await readFile(join(out, name))), sha256(content), name);

    // A second restore into the same folder is refused before the disk is written.
    await writeFile(join(out, "web 01.vmx"), "mine");
    const again = await cli(["repo", "restore-image", "--repo", repo, point, join(dir, "meta2.out"), "--config-dir", out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--config-dir: .*web 01\.(vmx|nvram|vmsd) already exists; give --overwrite to replace it/);
    assert.equal(await readFile(join(out, "web 01.vmx"), "utf8"), "mine");
    await assert.rejects(stat(join(dir, "meta2.out")));

    const vmdk = join(dir, "meta.vmdk");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, point, vmdk, "--format", "vmdk"])).code, 0);
    const descriptor = await readFile(vmdk, "utf8");
    assert.match(descriptor, /ddb\.adapterType = "lsilogic"/);
    assert.match(descriptor, /ddb\.geometry\.cylinders = "100"/);
  });

  /** A new repository of 16 KiB chunks at `dir/name`, and `image` written to `dir/name.raw`. */
  async function repositoryAndImage(name: string, image: Buffer): Promise<{ repo: string; source: string }> {
    const repo = join(dir, name);
    const source = join(dir, `${name}.raw`);
    await writeFile(source, image);
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    return { repo, source };
  }

  it("--detect-changes fingerprints reads and stores only the chunks of the blocks that changed", async () => {
    const image = randomBytes(40 * BLOCK + 5000);
    const { repo, source } = await repositoryAndImage("detect", image);
    const first = await backUp(["--repo", repo, source, "--name", "vm", "--fingerprints", "md5"]);
    assert.equal(first.fingerprints, "md5:64K");
    assert.deepEqual(await recordedFingerprints(repo, first.point), blockDigests("md5", image, BLOCK), "what md5sum of each block prints");

    // Blocks 3 and 4 (adjacent), 17, and the short last block change.
    for (const block of [3, 4, 17, 40]) randomBytes(Math.min(BLOCK, image.byteLength - block * BLOCK)).copy(image, block * BLOCK);
    await writeFile(source, image);
    const second = await backUp(["--repo", repo, source, "--name", "vm", "--previous", first.point, "--detect-changes", "fingerprints"]);
    assert.equal(second.changedRanges, 3);
    assert.equal(second.changedBytes, 3 * BLOCK + 5000);
    const changedChunks = 3 * (BLOCK / CHUNK) + 1;
    assert.equal(second.counters["chunksRead"], changedChunks);
    assert.equal(second.counters["chunksStored"], changedChunks);
    assert.equal(second.counters["chunksDeduplicated"], 0);
    assert.equal(second.fingerprints, "md5:64K", "the previous point's kind is kept");
    assert.deepEqual(await recordedFingerprints(repo, second.point), blockDigests("md5", image, BLOCK));
    assert.match((await cli(["repo", "show", "--repo", repo, second.point])).stdout, /fingerprints: md5:64K \(md5, 65536-byte blocks, 16-byte digests\)/);
    const shown = JSON.parse((await cli(["repo", "show", "--repo", repo, second.point, "--json"])).stdout) as { disks: { fingerprints?: unknown }[] };
    assert.deepEqual(shown.disks[0]?.fingerprints, { algorithm: "md5", blockSizeBytes: BLOCK, digestLengthBytes: 16 });
    const restored = join(dir, "detect.out");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, second.point, restored])).code, 0);
    assert.equal(sha256(await readFile(restored)), sha256(image));

    const third = await backUp(["--repo", repo, source, "--name", "vm", "--previous", second.point, "--detect-changes", "fingerprints", "--fingerprints", "md5:64K"]);
    assert.deepEqual([third.changedRanges, third.counters["chunksRead"], third.counters["chunksStored"]], [0, 0, 0]);

    // A damaged fingerprints file: verify names it, and detection from that point stops naming it.
    const fpr = join(repo, "indexes", third.point, "disk-0.fpr");
    const bytes = await readFile(fpr);
    bytes[20] = (bytes[20] ?? 0) ^ 0xff;
    await writeFile(fpr, bytes);
    const verify = await cli(["repo", "verify", "--repo", repo, "--quick"]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, new RegExp(`PROBLEM point ${third.point}, disk 0 \\(disk0\\): ${fpr.replace(/[.]/g, "\\.")}: checksum mismatch`));
    const fromDamaged = await cli(["repo", "backup-image", "--repo", repo, source, "--name", "vm", "--previous", third.point, "--detect-changes", "fingerprints"]);
    assert.equal(fromDamaged.code, 3);
    assert.match(fromDamaged.stderr, /disk-0\.fpr: checksum mismatch/);
  });

  it("--detect-changes over a point without fingerprints, or of another kind, hashes that point's disk again and reads only the changed blocks", async () => {
    const image = randomBytes(64 * CHUNK + 3000);
    const { repo, source } = await repositoryAndImage("rehash", image);
    const plain = await backUp(["--repo", repo, source, "--name", "vm"]);
    const changeBlocks = (blocks: number[]): void => {
      for (const block of blocks) randomBytes(4096).copy(image, block * 4096);
    };
    changeBlocks([5, 100, 101]);
    await writeFile(source, image);
    const second = await backUp(["--repo", repo, source, "--name", "vm", "--previous", plain.point, "--detect-changes", "fingerprints", "--fingerprints", "sha1:4K"]);
    assert.equal(second.fingerprints, "sha1:4K");
    assert.deepEqual([second.changedRanges, second.changedBytes, second.counters["bytesRead"]], [2, 3 * 4096, 3 * 4096], "only the changed blocks are read");
    assert.deepEqual(await recordedFingerprints(repo, second.point), blockDigests("sha1", image, 4096));
    changeBlocks([7]);
    await writeFile(source, image);
    // Another kind than the previous point's: hashed again at the one asked for.
    const third = await backUp(["--repo", repo, source, "--name", "vm", "--previous", second.point, "--detect-changes", "fingerprints", "--fingerprints", "md5:8K"]);
    assert.equal(third.fingerprints, "md5:8K");
    assert.deepEqual([third.changedRanges, third.counters["bytesRead"]], [1, 8192]);
    const restored = join(dir, "rehash.out");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, third.point, restored])).code, 0);
    assert.equal(sha256(await readFile(restored)), sha256(image));
  });

  it("--fingerprints with --changed-list hashes what it reads and takes the other blocks from the previous point", async () => {
    for (const [kind, block, algorithm, widened] of [["sha1:4K", 4096, "sha1", 1], ["sha256", BLOCK, "sha256", BLOCK / CHUNK]] as const) {
      const repo = join(dir, `list-${algorithm}`);
      const source = join(dir, `list-${algorithm}.raw`);
      const image = randomBytes(20 * CHUNK + 700);
      await writeFile(source, image);
      assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
      const first = await backUp(["--repo", repo, source, "--name", "vm", "--fingerprints", kind]);
      image.fill(0xab, 9 * CHUNK + 10, 9 * CHUNK + 110);
      await writeFile(source, image);
      await writeFile(join(dir, "list.txt"), `${9 * CHUNK + 10} 100\n`);
      const second = await backUp(["--repo", repo, source, "--name", "vm", "--previous", first.point, "--changed-list", join(dir, "list.txt"), "--fingerprints", kind]);
      assert.equal(second.counters["chunksRead"], widened, `${kind}: a block larger than a chunk is read whole`);
      assert.equal(second.counters["chunksStored"], 1);
      assert.deepEqual(await recordedFingerprints(repo, second.point), blockDigests(algorithm, image, block), kind);
    }
  });

  it("wrong or mismatched options exit 2, name the option and write nothing", async () => {
    const repo = join(dir, "refuse");
    const source = join(dir, "refuse.raw");
    await writeFile(source, randomBytes(3 * BLOCK));
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    const plain = (await backUp(["--repo", repo, source, "--name", "vm"])).point;
    const md5 = (await backUp(["--repo", repo, source, "--name", "vm", "--fingerprints", "md5"])).point;
    const files = join(dir, "refuse-files");
    await mkdir(join(files, "a"), { recursive: true });
    await mkdir(join(files, "b"));
    await writeFile(join(files, "a", "x.vmx"), "a");
    await writeFile(join(files, "b", "x.vmx"), "b");
    await writeFile(join(files, "big.nvram"), "");
    await truncate(join(files, "big.nvram"), 16 * 1024 * 1024 + 1);
    await writeFile(join(files, "back\\slash.vmx"), "x");
    await writeFile(join(dir, "refuse-list.txt"), "0 10\n");
    const list = join(dir, "refuse-list.txt");
    const before = (await readdir(repo, { recursive: true })).sort();

    const base = ["repo", "backup-image", "--repo", repo, source, "--name", "vm"];
    const cases: [string[], RegExp][] = [
      [["--config-file", join(files, "nope.vmx")], /--config-file: cannot read .*nope\.vmx \(ENOENT\)/],
      [["--config-file", join(files, "a", "x.vmx"), "--config-file", join(files, "b", "x.vmx")], /--config-file: .*a\/x\.vmx and .*b\/x\.vmx have the same name "x\.vmx"/],
      [["--config-file", join(files, "big.nvram")], /--config-file: .*big\.nvram is 16777217 bytes, more than the 16777216 \(16 MiB\)/],
      [["--config-file", join(files, "a")], /--config-file: .*a is not a regular file/],
      [["--config-file", join(files, "back\\slash.vmx")], /--config-file: .*the file name "back\\\\slash\.vmx" contains a path separator/],
      [["--fingerprints", "crc32"], /--fingerprints: expected ALG\[:BLOCK\] with ALG one of md5, sha1, sha256/],
      [["--fingerprints", "md5:3000"], /--fingerprints: the block size must be a power of two from 4096/],
      [["--fingerprints", "md5:32M"], /--fingerprints: the block size must be a power of two/],
      [["--fingerprints", "md5:64K:1"], /--fingerprints: expected ALG\[:BLOCK\]/],
      [["--detect-changes", "fingerprints"], /--detect-changes: needs --previous/],
      [["--detect-changes", "cbt", "--previous", md5], /--detect-changes: must be one of fingerprints \(got "cbt"\)/],
      [["--detect-changes", "fingerprints", "--previous", md5, "--changed-list", list], /--detect-changes: cannot be combined with --changed-list/],
      [["--detect-changes", "fingerprints", "--previous", plain], new RegExp(`--fingerprints: the previous point ${plain} has no fingerprints of its disk; give --fingerprints`)],
      [["--detect-changes", "fingerprints", "--previous", "ghost"], /^esxbackup: previous point: no such recovery point: ghost$/m],
      [["--previous", "ghost"], /^esxbackup: previous point: no such recovery point: ghost$/m],
      [["--geometry", "10/300/63"], /--geometry: expected CYLINDERS\/HEADS\/SECTORS/],
      [["--geometry", "10x16x63"], /--geometry: expected/],
      [["--adapter-type", "scsi"], /--adapter-type: must be one of ide, buslogic, lsilogic/],
      [["--vm-uuid", " "], /--vm-uuid: must be 1 to 256 printable characters/],
      [["--host", "a\nb"], /--host: must be 1 to 256 printable characters/],
      [["--vm-id", ""], /--vm-id: must be/],
    ];
    for (const [extra, message] of cases) {
      const result = await cli([...base, ...extra]);
      assert.equal(result.code, 2, `${extra.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, extra.join(" "));
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
    assert.deepEqual((await readdir(repo, { recursive: true })).sort(), before, "no new point, index, chunk or temporary file");
  });
});
