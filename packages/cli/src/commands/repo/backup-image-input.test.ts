/**
 * What `repo backup-image` accepts as a source and a command line, and what it reports: an empty source,
 * a folder or a character device is refused as bad input (exit 2, no point); a block device is backed up
 * by its real size; a changed list reaching past the image is refused naming the line; repeatable options
 * placed before the image path do not swallow it; the counters of every kind of backup add up to the disk
 * size, in the progress protocol's names, and the summary says it in human units with a rate.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BackupCounters } from "@esxbackup/transporter";
import { runCli as cli } from "./cli-test-support.js";

const CHUNK = 16 * 1024;

type Counters = BackupCounters;

function assertAddsUp(counters: Counters, diskSizeBytes: number, what: string): void {
  assert.equal(counters.diskSizeBytes, diskSizeBytes, what);
  assert.equal(counters.bytesTakenOver + counters.bytesRead, diskSizeBytes, `${what}: taken over + read = disk (${JSON.stringify(counters)})`);
  assert.equal(counters.bytesNew + counters.bytesDeduplicated + counters.bytesSkippedZero, counters.bytesRead, `${what}: new + deduplicated + zero = read`);
  for (const [name, value] of Object.entries(counters)) assert.ok(value >= 0, `${what}: ${name} = ${value}`);
}

describe("repo backup-image: sources, command line and counters", () => {
  let dir: string;
  let repo: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-backup-input-"));
    repo = join(dir, "repo");
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses an empty source, a folder and character devices as bad input, storing nothing", async () => {
    await writeFile(join(dir, "empty.raw"), "");
    await mkdir(join(dir, "a-folder"));
    const before = (await readdir(repo, { recursive: true })).sort();
    for (const [source, message] of [
      [join(dir, "empty.raw"), /image: .*empty\.raw is empty: there is nothing to back up/],
      [join(dir, "a-folder"), /image: .*a-folder is a folder, not a disk image/],
      ["/dev/null", /image: \/dev\/null is a character device, not a disk image/],
      ["/dev/zero", /image: \/dev\/zero is a character device, not a disk image/],
    ] as const) {
      const result = await cli(["repo", "backup-image", "--repo", repo, "--name", "vm", source]);
      assert.equal(result.code, 2, `${source}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual((await readdir(repo, { recursive: true })).sort(), before);
  });

  it("backs up a block device by its real size", async () => {
    const backing = join(dir, "device.img");
    const data = randomBytes(32 * CHUNK);
    data.fill(0, 8 * CHUNK, 16 * CHUNK);
    await writeFile(backing, data);
    const device = execFileSync("losetup", ["--find", "--show", "--read-only", backing], { encoding: "utf8" }).trim();
    let backup;
    try {
      backup = await cli(["repo", "backup-image", "--repo", repo, "--name", "dev", device, "--json"]);
    } finally {
      execFileSync("losetup", ["--detach", device]);
    }
    assert.equal(backup.code, 0, backup.stderr);
    const { point, counters } = JSON.parse(backup.stdout) as { point: string; counters: Counters };
    assertAddsUp(counters, data.byteLength, "block device");
    const out = join(dir, "device.out");
    assert.equal((await cli(["repo", "restore-image", "--repo", repo, point, out])).code, 0);
    assert.ok((await readFile(out)).equals(data));
  });

  it("refuses a changed list with a range past the end of the image, naming the line", async () => {
    const source = join(dir, "list.raw");
    await writeFile(source, randomBytes(4 * CHUNK));
    const first = await cli(["repo", "backup-image", "--repo", repo, "--name", "list", source]);
    assert.equal(first.code, 0, first.stderr);
    const list = join(dir, "changes.txt");
    await writeFile(list, `# offset length\n0 100\n${3 * CHUNK} ${CHUNK + 1}\n`);
    const result = await cli(["repo", "backup-image", "--repo", repo, "--name", "list", source, "--previous", first.stdout.trim(), "--changed-list", list]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`changes\\.txt line 3: the range ${3 * CHUNK}\\+${CHUNK + 1} ends at byte ${4 * CHUNK + 1}, past the end of the ${4 * CHUNK}-byte disk`));
  });

  it("takes --config-file and --tag before the image path without swallowing it, each repeatable", async () => {
    const source = join(dir, "options.raw");
    await writeFile(source, randomBytes(2 * CHUNK));
    await writeFile(join(dir, "options.vmx"), "a");
    await writeFile(join(dir, "options.nvram"), "b");
    const result = await cli([
      "repo", "backup-image", "--repo", repo, "--config-file", join(dir, "options.vmx"), "--config-file", join(dir, "options.nvram"),
      "--tag", "daily", "--tag", "web", source, "--name", "options",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse((await cli(["repo", "show", "--repo", repo, result.stdout.trim(), "--json"])).stdout) as { tags: string[]; configFiles: { name: string }[] };
    assert.deepEqual(shown.tags, ["daily", "web"]);
    assert.deepEqual(shown.configFiles.map((file) => file.name), ["options.vmx", "options.nvram"]);
  });

  it("counts every byte of the disk once, in every kind of backup, and says so in human units with a rate", async () => {
    const source = join(dir, "count.raw");
    const data = randomBytes(64 * CHUNK + 1000);
    data.fill(0, 10 * CHUNK, 30 * CHUNK);
    await writeFile(source, data);
    const backUp = async (...extra: string[]): Promise<{ point: string; counters: Counters }> => {
      const result = await cli(["repo", "backup-image", "--repo", repo, "--name", "count", source, "--json", ...extra]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as { point: string; counters: Counters };
    };
    const first = await backUp();
    assertAddsUp(first.counters, data.byteLength, "first");
    assert.deepEqual([first.counters.bytesTakenOver, first.counters.bytesSkippedZero], [0, 20 * CHUNK]);
    assert.ok(first.counters.bytesWritten > 0 && first.counters.bytesNew === data.byteLength - 20 * CHUNK);

    // --previous without a list reads everything: nothing is both read and taken over.
    const reread = await backUp("--previous", first.point);
    assertAddsUp(reread.counters, data.byteLength, "--previous, full read");
    assert.deepEqual(
      [reread.counters.bytesTakenOver, reread.counters.bytesDeduplicated, reread.counters.bytesSkippedZero, reread.counters.bytesNew],
      [0, data.byteLength - 20 * CHUNK, 20 * CHUNK, 0],
    );

    data.fill(7, 2 * CHUNK, 3 * CHUNK);
    await writeFile(source, data);
    await writeFile(join(dir, "count-list.txt"), `${2 * CHUNK} ${CHUNK}\n`);
    const listed = await backUp("--previous", reread.point, "--changed-list", join(dir, "count-list.txt"));
    assertAddsUp(listed.counters, data.byteLength, "--changed-list");
    assert.deepEqual([listed.counters.bytesRead, listed.counters.bytesNew, listed.counters.bytesTakenOver], [CHUNK, CHUNK, data.byteLength - CHUNK]);

    const text = await cli(["repo", "backup-image", "--repo", repo, "--name", "count", source, "--previous", listed.point]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stderr,
      /^disk 1\.0 MiB: 1\.0 MiB read \(0 B new, stored in 0 B; 705\.0 KiB deduplicated; 320\.0 KiB zero\), 0 B unchanged, in \d+\.\d s \([\d.]+ (B|KiB|MiB|GiB)\/s\)$/m,
    );
  });
});
