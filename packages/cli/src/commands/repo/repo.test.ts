import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { runCli as cli } from "./cli-test-support.js";

const CHUNK = 16 * 1024;

const sha256 = async (path: string): Promise<string> => createHash("sha256").update(await readFile(path)).digest("hex");

/** Random data with a zero hole in the middle and an odd size. */
function image(sizeBytes: number): Buffer {
  const data = randomBytes(sizeBytes);
  data.fill(0, Math.floor(sizeBytes / 3), Math.floor((2 * sizeBytes) / 3));
  return data;
}

describe("esxbackup repo", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-cli-repo-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("init, backup, incremental with a changed list, list, show, restore raw and vmdk, verify, prune, gc, stats", async () => {
    const repo = join(dir, "plain");
    const source = join(dir, "disk.raw");
    const data = image(40 * CHUNK + 512 * 3);
    await writeFile(source, data);
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    const first = await cli(["repo", "backup-image", "--repo", repo, "--name", "vm 1", source, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const a = (JSON.parse(first.stdout) as { point: string }).point;

    data.fill(0xee, 5 * CHUNK + 100, 5 * CHUNK + 200);
    await writeFile(source, data);
    await writeFile(join(dir, "changes.txt"), `# offset length\n${5 * CHUNK + 100} 100\n\n`);
    const second = await cli(["repo", "backup-image", "--repo", repo, "--name", "vm 1", source, "--previous", a, "--changed-list", join(dir, "changes.txt"), "--json"]);
    assert.equal(second.code, 0, second.stderr);
    const result = JSON.parse(second.stdout) as { point: string; counters: Record<string, number> };
    assert.equal(result.counters["chunksRead"], 1);
    const b = result.point;

    const listed = JSON.parse((await cli(["repo", "list", "--repo", repo, "--json"])).stdout) as { point: string }[];
    assert.deepEqual(listed.map((entry) => entry.point), [a, b]);
    const shown = await cli(["repo", "show", "--repo", repo, b]);
    assert.match(shown.stdout, new RegExp(`previous: ${a}`));
    assert.match(shown.stdout, /vm 1/);

    const raw = join(dir, "restored.raw");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, b, raw])).code, 0);
    assert.equal(await sha256(raw), await sha256(source));
    const allocated = (await stat(raw)).blocks * 512;
    assert.ok(allocated < data.byteLength * 0.8, `restore is sparse (${allocated} bytes allocated)`);

    const vmdk = join(dir, "restored.vmdk");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, b, vmdk, "--format", "vmdk"])).code, 0);
    const compare = await promisify(execFile)("qemu-img", ["compare", "-f", "raw", "-F", "vmdk", source, vmdk]);
    assert.match(compare.stdout, /Images are identical/);

    assert.equal((await cli(["repo", "verify", "--repo", repo])).code, 0);
    assert.equal((await cli(["repo", "prune", "--repo", repo, a])).code, 0);
    const gc = await cli(["repo", "gc", "--repo", repo, "--grace-minutes", "0", "--json"]);
    assert.equal((JSON.parse(gc.stdout) as { chunksDeleted: number }).chunksDeleted, 1);
    const stats = JSON.parse((await cli(["repo", "stats", "--repo", repo, "--json"])).stdout) as { points: number; logicalBytes: number; unreferencedChunks: number };
    assert.deepEqual([stats.points, stats.logicalBytes, stats.unreferencedChunks], [1, data.byteLength, 0]);

    // Damage: verify exits 1 and names point, offset and file.
    const chunkDirs = await readdir(join(repo, "chunks"));
    let victim = "";
    for (const sub of chunkDirs) {
      const names = (await readdir(join(repo, "chunks", sub))).filter((name) => !name.startsWith("."));
      if (names[0] !== undefined) {
        victim = join(repo, "chunks", sub, names[0]);
        break;
      }
    }
    const bytes = await readFile(victim);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(victim, bytes);
    const damaged = await cli(["repo", "verify", "--repo", repo]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, new RegExp(`PROBLEM point ${b}, disk 0 \\(disk0\\), offset \\d+: ${victim}`));
    assert.equal((await cli(["repo", "verify", "--repo", repo, "--quick"])).code, 0);
  });

  it("encrypted: the passphrase from a file or the environment; a wrong one is refused with exit 2", async () => {
    const repo = join(dir, "secret");
    const source = join(dir, "small.raw");
    await writeFile(source, image(3 * CHUNK + 5));
    await writeFile(join(dir, "pw"), "s3cret\n");
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16384", "--encrypt", "--password-file", join(dir, "pw")])).code, 0);
    const backup = await cli(["repo", "backup-image", "--repo", repo, "--name", "x", source], { ESXBACKUP_PASSWORD: "s3cret" });
    assert.equal(backup.code, 0, backup.stderr);
    const wrong = await cli(["repo", "list", "--repo", repo], { ESXBACKUP_PASSWORD: "nope" });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^esxbackup: passphrase: does not open any key in .*keys \(wrong passphrase\?\)\n$/);
    const none = await cli(["repo", "list", "--repo", repo]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /encrypted: give --password-file or set ESXBACKUP_PASSWORD/);
    const restored = join(dir, "small.out");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, backup.stdout.trim(), restored, "--password-file", join(dir, "pw")])).code, 0);
    assert.equal(await sha256(restored), await sha256(source));
  });

  it("bad arguments exit 2, name the problem and change nothing", async () => {
    const repo = join(dir, "bad");
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    const before = await readdir(repo, { recursive: true });
    const cases: [string[], RegExp][] = [
      [["repo", "init", "--repo", join(dir, "other"), "--chunk-size", "3000"], /chunk size: must be a power of two/],
      [["repo", "init", "--repo", repo], /already exists/],
      [["repo", "backup-image", "--repo", repo, join(dir, "missing.raw"), "--name", "v"], /image: cannot open .*missing\.raw \(ENOENT\)/],
      [["repo", "backup-image", "--repo", repo, join(dir, "x")], /required option '--name <name>'/],
      [["repo", "backup-image", "--repo", repo, "--name", "v", join(dir, "x"), "--changed-list", "f"], /--changed-list: needs --previous/],
      [["repo", "show", "--repo", repo, "no-such-point"], /no such recovery point: no-such-point/],
      [["repo", "show", "--repo", repo, "bad id!"], /recovery point id: must be/],
      [["repo", "restore-image", "--repo", repo, "p", join(dir, "o"), "--format", "qcow2"], /--format: must be one of raw, vmdk/],
      [["repo", "prune", "--repo", repo, "ghost"], /no such recovery point: ghost \(nothing was pruned\)/],
      [["repo", "verify", "--repo", repo, "ghost"], /no such recovery point: ghost/],
      [["repo", "list", "--repo", join(dir, "nowhere")], /config\.json does not exist: not an esxbackup repository/],
      [["repo", "gc", "--repo", repo, "--grace-minutes", "soon"], /--grace-minutes: must be a whole number/],
      ...["0", "20", "1.5", "-3", "fast"].map((level): [string[], RegExp] => [
        ["repo", "init", "--repo", join(dir, "other"), "--compression-level", level],
        new RegExp(`--compression-level: must be a whole number from 1 to 19 \\(got "${level.replace(".", "\\.")}"\\)`),
      ]),
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(" "));
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
    assert.deepEqual(await readdir(repo, { recursive: true }), before);
    await assert.rejects(stat(join(dir, "other")));
  });

  it("the compression level chosen at init is recorded and used for every chunk", async () => {
    // Text that zstd's higher levels compress measurably better than level 1.
    const words = ["error", "disk", "scsi0:0", "snapshot", "vmfs", "consolidate", "ok", "retry", "host", "datastore1"];
    let text = "";
    for (let line = 0; text.length < 8 * CHUNK; line += 1) text += `${line} ${words[(line * 7) % 10]} ${words[(line * 3) % 10]} ${(line * 2654435761) % 100000}\n`;
    const source = join(dir, "text.raw");
    await writeFile(source, text.slice(0, 8 * CHUNK));
    const storedBytes = async (level: string): Promise<number> => {
      const repo = join(dir, `level-${level}`);
      const init = await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K", "--compression-level", level, "--json"]);
      assert.equal(init.code, 0, init.stderr);
      assert.equal((JSON.parse(init.stdout) as { compressionLevel: number }).compressionLevel, Number(level));
      const backup = await cli(["repo", "backup-image", "--repo", repo, "--name", "v", source, "--json"]);
      assert.equal(backup.code, 0, backup.stderr);
      const restored = join(dir, `level-${level}.raw`);
      assert.equal((await cli(["repo", "restore-image", "--repo", repo, (JSON.parse(backup.stdout) as { point: string }).point, restored])).code, 0);
      assert.equal(await sha256(restored), await sha256(source));
      return (JSON.parse(backup.stdout) as { counters: { bytesWritten: number } }).counters.bytesWritten;
    };
    const fast = await storedBytes("1");
    const small = await storedBytes("19");
    assert.ok(small < fast, `level 19 stored ${small} bytes, level 1 ${fast}`);
  });

  it("a changed list with a bad line is refused naming the file and line", async () => {
    const repo = join(dir, "cl");
    const source = join(dir, "cl.raw");
    await writeFile(source, image(2 * CHUNK));
    await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"]);
    const a = (await cli(["repo", "backup-image", "--repo", repo, "--name", "v", source])).stdout.trim();
    await writeFile(join(dir, "bad-list"), "0 100\n12 x\n");
    const result = await cli(["repo", "backup-image", "--repo", repo, "--name", "v", source, "--previous", a, "--changed-list", join(dir, "bad-list")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad-list line 2: expected "<offsetBytes> <lengthBytes>"/);
    assert.equal(JSON.parse((await cli(["repo", "list", "--repo", repo, "--json"])).stdout).length, 1);
  });

  it("a repository of a newer format version is refused with a clear error", async () => {
    const repo = join(dir, "future");
    await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"]);
    const config = JSON.parse(await readFile(join(repo, "config.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(repo, "config.json"), JSON.stringify({ ...config, formatVersion: 7 }));
    const result = await cli(["repo", "list", "--repo", repo]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /config\.json: repository format version 7 is newer than this esxbackup supports \(3\); upgrade esxbackup/);
  });
});
