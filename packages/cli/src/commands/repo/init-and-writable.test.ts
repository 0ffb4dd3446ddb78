/**
 * `repo init` makes a repository only in a new or empty folder, and a repository that cannot be written
 * (here a read-only mount) is reported as such, naming the repository rather than a lock or temporary file.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileHashes, runCli as cli } from "./cli-test-support.js";

describe("repo init and unwritable repositories", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-init-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a folder that is not empty and changes nothing in it; an empty or new folder is fine", async () => {
    const vms = join(dir, "vms");
    await mkdir(vms);
    await writeFile(join(vms, "web-flat.vmdk"), randomBytes(4096));
    await writeFile(join(vms, "web.vmdk"), "descriptor");
    const before = await fileHashes(vms);
    const result = await cli(["repo", "init", "--repo", vms]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--repo: .*vms is not empty \(it holds web-flat\.vmdk, web\.vmdk\); a repository is created only in a new or empty folder/);
    assert.deepEqual(await fileHashes(vms), before);
    assert.deepEqual((await readdir(vms)).sort(), ["web-flat.vmdk", "web.vmdk"]);

    const empty = join(dir, "empty");
    await mkdir(empty);
    assert.equal((await cli(["repo", "init", "--repo", empty])).code, 0);
    assert.equal((await cli(["repo", "init", "--repo", join(dir, "new", "nested")])).code, 0);
    const again = await cli(["repo", "init", "--repo", empty]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /a repository is already there/);
  });

  it("says the repository is not writable when it is on a read-only mount", async () => {
    const writable = join(dir, "rw");
    const readOnly = join(dir, "ro");
    await mkdir(writable);
    await mkdir(readOnly);
    assert.equal((await cli(["repo", "init", "--repo", join(writable, "repo"), "--chunk-size", "16K"])).code, 0);
    const image = join(dir, "disk.raw");
    await writeFile(image, randomBytes(64 * 1024));
    execFileSync("mount", ["--bind", writable, readOnly]);
    try {
      execFileSync("mount", ["-o", "remount,bind,ro", readOnly]);
      const repo = join(readOnly, "repo");
      for (const args of [
        ["repo", "backup-image", "--repo", repo, "--name", "vm", image],
        ["repo", "gc", "--repo", repo],
        ["repo", "init", "--repo", join(readOnly, "other")],
      ]) {
        const result = await cli(args);
        assert.equal(result.code, 3, `${args[1]}: ${result.stderr}`);
        assert.match(result.stderr, /^esxbackup: the repository is not writable: \S+ \(it is on a read-only file system, EROFS\)\n/, args[1]);
        assert.doesNotMatch(result.stderr, /repo\/(tmp|locks)\//, `${args[1]}: no internal path`);
      }
      assert.equal((await cli(["repo", "list", "--repo", repo])).code, 0, "reading still works");
    } finally {
      execFileSync("umount", [readOnly]);
    }
  });
});
