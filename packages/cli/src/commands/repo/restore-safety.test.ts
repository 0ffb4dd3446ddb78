/**
 * A restore never destroys what is at its output paths by accident: an existing file is refused (exit 2,
 * nothing written, not even a partial file) unless --overwrite; only regular files are ever replaced; a
 * block device is written only with --to-device and only when large enough. Checked for every file a
 * restore writes (image, VMDK descriptor and flat, configuration files) before the first byte.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli as cli } from "./cli-test-support.js";

const CHUNK = 16 * 1024;

describe("repo restore-image: what is at the output", () => {
  let dir: string;
  let repo: string;
  let point: string;
  let data: Buffer;
  const restore = (...args: string[]): ReturnType<typeof cli> => cli(["repo", "restore-image", "--repo", repo, point, ...args]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-restore-safety-"));
    repo = join(dir, "repo");
    data = randomBytes(8 * CHUNK + 512);
    data.fill(0, 2 * CHUNK, 4 * CHUNK);
    await writeFile(join(dir, "disk.raw"), data);
    await writeFile(join(dir, "web.vmx"), 'displayName = "web"\n');
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    const backup = await cli(["repo", "backup-image", "--repo", repo, "--name", "web", join(dir, "disk.raw"), "--config-file", join(dir, "web.vmx")]);
    assert.equal(backup.code, 0, backup.stderr);
    point = backup.stdout.trim();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses an existing image, leaving it and writing no partial file; --overwrite replaces it", async () => {
    const out = join(dir, "mine.raw");
    await writeFile(out, "the user's own file");
    const refused = await restore(out);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /mine\.raw already exists; give --overwrite to replace it/);
    assert.equal(await readFile(out, "utf8"), "the user's own file");
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith("mine")), ["mine.raw"]);
    const replaced = await restore(out, "--overwrite");
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.ok((await readFile(out)).equals(data));
  });

  it("refuses an existing VMDK descriptor or flat file before writing either", async () => {
    const folder = join(dir, "vmdk");
    await mkdir(folder);
    await writeFile(join(folder, "a.vmdk"), "my descriptor");
    const descriptor = await restore(join(folder, "a.vmdk"), "--format", "vmdk");
    assert.equal(descriptor.code, 2, descriptor.stderr);
    assert.deepEqual(await readdir(folder), ["a.vmdk"]);
    await writeFile(join(folder, "b-flat.vmdk"), "my flat");
    const flat = await restore(join(folder, "b.vmdk"), "--format", "vmdk");
    assert.equal(flat.code, 2, flat.stderr);
    assert.match(flat.stderr, /b-flat\.vmdk already exists/);
    assert.deepEqual((await readdir(folder)).sort(), ["a.vmdk", "b-flat.vmdk"]);
    assert.equal(await readFile(join(folder, "b-flat.vmdk"), "utf8"), "my flat");
  });

  it("refuses an existing configuration file before restoring the disk", async () => {
    const config = join(dir, "config");
    await mkdir(config);
    await writeFile(join(config, "web.vmx"), "mine");
    const out = join(dir, "with-config.raw");
    const refused = await restore(out, "--config-dir", config);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--config-dir: .*web\.vmx already exists; give --overwrite/);
    await assert.rejects(lstat(out), /ENOENT/);
    assert.equal(await readFile(join(config, "web.vmx"), "utf8"), "mine");
    const replaced = await restore(out, "--config-dir", config, "--overwrite");
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(await readFile(join(config, "web.vmx"), "utf8"), 'displayName = "web"\n');
  });

  it("never replaces a character device, a folder or a symbolic link, even with --overwrite", async () => {
    const nullDevice = join(dir, "null");
    execFileSync("mknod", [nullDevice, "c", "1", "3"]);
    const link = join(dir, "link.raw");
    await writeFile(join(dir, "link-target"), "kept");
    await symlink(join(dir, "link-target"), link);
    const folder = join(dir, "a-folder");
    await mkdir(folder);
    for (const [out, what] of [
      [nullDevice, /is a character device; a restore never replaces it/],
      [folder, /is a folder; a restore never replaces it/],
      [link, /is a symbolic link; a restore never replaces it/],
    ] as const) {
      const result = await restore(out, "--overwrite");
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, what);
    }
    assert.ok((await lstat(nullDevice)).isCharacterDevice());
    assert.ok((await lstat(folder)).isDirectory());
    assert.equal(await readlink(link), join(dir, "link-target"));
    assert.equal(await readFile(join(dir, "link-target"), "utf8"), "kept");
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith(".partial")), []);
  });

  it("writes onto a block device only with --to-device, in place, zeros included, and only when it is large enough", async () => {
    const small = join(dir, "small.img");
    const large = join(dir, "large.img");
    await writeFile(small, Buffer.alloc(8 * CHUNK, 0xff));
    await writeFile(large, Buffer.alloc(16 * CHUNK, 0xff));
    const smallDevice = execFileSync("losetup", ["--find", "--show", small], { encoding: "utf8" }).trim();
    let largeDevice: string | undefined;
    try {
      largeDevice = execFileSync("losetup", ["--find", "--show", large], { encoding: "utf8" }).trim();
      const accidental = await restore(largeDevice);
      assert.equal(accidental.code, 2, accidental.stderr);
      assert.match(accidental.stderr, /is a block device; give --to-device/);
      const tooSmall = await restore(smallDevice, "--to-device");
      assert.equal(tooSmall.code, 2, tooSmall.stderr);
      assert.match(tooSmall.stderr, new RegExp(`--to-device: ${smallDevice} holds ${8 * CHUNK} bytes; the disk needs ${data.byteLength}`));
      const notDevice = await restore(join(dir, "disk.raw"), "--to-device");
      assert.equal(notDevice.code, 2, notDevice.stderr);
      assert.match(notDevice.stderr, /is a regular file, not a block device/);
      const written = await restore(largeDevice, "--to-device");
      assert.equal(written.code, 0, written.stderr);
      assert.ok((await lstat(largeDevice)).isBlockDevice());
    } finally {
      execFileSync("losetup", ["--detach", smallDevice]);
      if (largeDevice !== undefined) execFileSync("losetup", ["--detach", largeDevice]);
    }
    assert.ok((await readFile(small)).equals(Buffer.alloc(8 * CHUNK, 0xff)), "the refused device is untouched");
    const onDevice = await readFile(large);
    assert.ok(onDevice.subarray(0, data.byteLength).equals(data), "the disk, zero chunks included, is on the device");
    assert.ok(onDevice.subarray(data.byteLength).equals(Buffer.alloc(onDevice.byteLength - data.byteLength, 0xff)), "nothing past the disk is written");
  });
});
