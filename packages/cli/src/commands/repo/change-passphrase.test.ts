import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileHashes as snapshot, runCli as cli, sha256 } from "./cli-test-support.js";

const OLD = "old-Passphrase-7f3a";
const NEW = "new-Passphrase-c91e";


describe("esxbackup repo change-passphrase", () => {
  let dir: string;
  let counter = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-cli-passphrase-"));
    await writeFile(join(dir, "old-pw"), `${OLD}\n`);
    await writeFile(join(dir, "new-pw"), `${NEW}\n`);
    await writeFile(join(dir, "empty-pw"), "\n");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An encrypted repository (passphrase OLD) holding one point of a small random image. */
  async function encryptedRepository(): Promise<{ repo: string; source: string; point: string }> {
    counter += 1;
    const repo = join(dir, `repo-${counter}`);
    const source = join(dir, `disk-${counter}.raw`);
    const data = randomBytes(3 * 16 * 1024 + 77);
    data.fill(0, 16 * 1024, 2 * 16 * 1024);
    await writeFile(source, data);
    const init = await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K", "--encrypt", "--password-file", join(dir, "old-pw")]);
    assert.equal(init.code, 0, init.stderr);
    const backup = await cli(["repo", "backup-image", "--repo", repo, "--name", "vm", source], { ESXBACKUP_PASSWORD: OLD });
    assert.equal(backup.code, 0, backup.stderr);
    return { repo, source, point: backup.stdout.trim() };
  }

  async function restoresExactly(repo: string, point: string, source: string, passphrase: string): Promise<void> {
    counter += 1;
    const target = join(dir, `restored-${counter}.raw`);
    const restore = await cli(["repo", "restore-image", "--repo", repo, point, target], { ESXBACKUP_PASSWORD: passphrase });
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(sha256(await readFile(target)), sha256(await readFile(source)));
  }

  async function refusesAsWrong(repo: string, passphrase: string): Promise<void> {
    const result = await cli(["repo", "list", "--repo", repo], { ESXBACKUP_PASSWORD: passphrase });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^esxbackup: passphrase: does not open any key in .*keys \(wrong passphrase\?\)\n$/);
  }

  it("after a change the old passphrase is refused and the new one restores a point backed up before, byte-exact", async () => {
    const { repo, source, point } = await encryptedRepository();
    const change = await cli(["repo", "change-passphrase", "--repo", repo, "--password-file", join(dir, "old-pw")], { ESXBACKUP_NEW_PASSWORD: NEW });
    assert.equal(change.code, 0, change.stderr);
    const [keyFile] = await readdir(join(repo, "keys"));
    assert.equal(change.stdout, `passphrase changed: the key is now in ${join(repo, "keys", keyFile as string)} (1 old key file(s) removed)\n`);
    assert.equal(change.stderr, "");
    await refusesAsWrong(repo, OLD);
    await restoresExactly(repo, point, source, NEW);

    // And back, this time the current passphrase from the environment and the new one from a file.
    const back = await cli(["repo", "change-passphrase", "--repo", repo, "--new-password-file", join(dir, "old-pw")], { ESXBACKUP_PASSWORD: NEW });
    assert.equal(back.code, 0, back.stderr);
    await refusesAsWrong(repo, NEW);
    await restoresExactly(repo, point, source, OLD);
  });

  it("a wrong current passphrase exits 2 with the wrong-passphrase error and leaves the key files byte for byte", async () => {
    const { repo } = await encryptedRepository();
    const before = await snapshot(repo);
    const result = await cli(["repo", "change-passphrase", "--repo", repo], { ESXBACKUP_PASSWORD: "not-it", ESXBACKUP_NEW_PASSWORD: NEW });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^esxbackup: passphrase: does not open any key in .*keys \(wrong passphrase\?\)\n$/);
    assert.deepEqual(await snapshot(repo), before);
  });

  it("an unencrypted repository exits 2 and nothing changes", async () => {
    const repo = join(dir, "plain");
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    const before = await snapshot(repo);
    const result = await cli(["repo", "change-passphrase", "--repo", repo, "--new-password-file", join(dir, "new-pw")], { ESXBACKUP_PASSWORD: OLD });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^esxbackup: repository: .*config\.json: the repository is not encrypted, it has no passphrase to change\n$/);
    assert.deepEqual(await snapshot(repo), before);
  });

  it("a missing, empty, unreadable or unchanged new passphrase, or one given as an argument, exits 2 naming the option and changes nothing", async () => {
    const { repo } = await encryptedRepository();
    const before = await snapshot(repo);
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [[], { ESXBACKUP_PASSWORD: OLD }, /--new-password-file: the new passphrase is needed: give --new-password-file or set ESXBACKUP_NEW_PASSWORD/],
      [["--new-password-file", join(dir, "empty-pw")], { ESXBACKUP_PASSWORD: OLD }, /--new-password-file: .*empty-pw is empty: the new passphrase must not be empty/],
      [[], { ESXBACKUP_PASSWORD: OLD, ESXBACKUP_NEW_PASSWORD: "" }, /ESXBACKUP_NEW_PASSWORD: is empty: the new passphrase must not be empty/],
      [["--new-password-file", join(dir, "missing-pw")], { ESXBACKUP_PASSWORD: OLD }, /--new-password-file: cannot read .*missing-pw \(ENOENT\)/],
      [["--new-password-file", join(dir, "old-pw")], { ESXBACKUP_PASSWORD: OLD }, /--new-password-file: the new passphrase is the same as the current one: nothing to change/],
      [[], { ESXBACKUP_PASSWORD: OLD, ESXBACKUP_NEW_PASSWORD: OLD }, /ESXBACKUP_NEW_PASSWORD: the new passphrase is the same as the current one/],
      [[], { ESXBACKUP_NEW_PASSWORD: NEW }, /passphrase: the repository is encrypted: give the current passphrase \(--password-file or ESXBACKUP_PASSWORD\)/],
      [[NEW], { ESXBACKUP_PASSWORD: OLD }, /too many arguments/],
    ];
    for (const [extra, env, message] of cases) {
      const result = await cli(["repo", "change-passphrase", "--repo", repo, ...extra], env);
      assert.equal(result.code, 2, `${extra.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
    assert.deepEqual(await snapshot(repo), before);
  });

  it("an interrupted change (old and new key files both present) keeps both passphrases working, and running again finishes it", async () => {
    const { repo, source, point } = await encryptedRepository();
    const [oldKeyFile] = await readdir(join(repo, "keys"));
    const saved = join(dir, `saved-${oldKeyFile}`);
    await copyFile(join(repo, "keys", oldKeyFile as string), saved);
    assert.equal((await cli(["repo", "change-passphrase", "--repo", repo], { ESXBACKUP_PASSWORD: OLD, ESXBACKUP_NEW_PASSWORD: NEW })).code, 0);
    // Putting the old key file back gives exactly what a crash between the two steps leaves.
    await copyFile(saved, join(repo, "keys", oldKeyFile as string));
    assert.equal((await readdir(join(repo, "keys"))).length, 2);
    await restoresExactly(repo, point, source, OLD);
    await restoresExactly(repo, point, source, NEW);

    const again = await cli(["repo", "change-passphrase", "--repo", repo], { ESXBACKUP_PASSWORD: OLD, ESXBACKUP_NEW_PASSWORD: NEW });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\(2 old key file\(s\) removed\)\n$/);
    assert.equal((await readdir(join(repo, "keys"))).length, 1);
    await refusesAsWrong(repo, OLD);
    await restoresExactly(repo, point, source, NEW);
  });

  it("neither passphrase ever appears in what it prints, whether it succeeds or fails, even with ESXBACKUP_DEBUG=1", async () => {
    const { repo } = await encryptedRepository();
    const plain = join(dir, "plain-secret");
    assert.equal((await cli(["repo", "init", "--repo", plain, "--chunk-size", "16K"])).code, 0);
    const debug = { ESXBACKUP_DEBUG: "1" };
    const runs: [string[], NodeJS.ProcessEnv][] = [
      [["--repo", repo], { ...debug, ESXBACKUP_PASSWORD: "wrong", ESXBACKUP_NEW_PASSWORD: NEW }],
      [["--repo", repo], { ...debug, ESXBACKUP_PASSWORD: NEW, ESXBACKUP_NEW_PASSWORD: NEW }],
      [["--repo", plain], { ...debug, ESXBACKUP_PASSWORD: OLD, ESXBACKUP_NEW_PASSWORD: NEW }],
      [["--repo", repo, NEW], { ...debug, ESXBACKUP_PASSWORD: OLD }],
      [["--repo", repo, "--password-file", join(dir, "old-pw"), "--new-password-file", join(dir, "new-pw")], debug],
      [["--repo", repo], { ...debug, ESXBACKUP_PASSWORD: NEW, ESXBACKUP_NEW_PASSWORD: OLD }],
    ];
    const codes: number[] = [];
    for (const [args, env] of runs) {
      const result = await cli(["repo", "change-passphrase", ...args], env);
      codes.push(result.code);
      for (const secret of [OLD, NEW]) {
        assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), `${args.join(" ")} printed a passphrase`);
      }
    }
    assert.deepEqual(codes, [2, 2, 2, 2, 0, 0]);
  });
});
