import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli as cli } from "./cli-test-support.js";

const HEAD = /^points log head: (\d+:[0-9a-f]{64}) /mu;

describe("repo verify --points-log-head", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-cli-loghead-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the head, and given it back reports a storage rolled back past it (which verify alone cannot see)", async () => {
    const repo = join(dir, "repo");
    const source = join(dir, "disk.raw");
    await writeFile(source, randomBytes(64 * 1024));
    assert.equal((await cli(["repo", "init", "--repo", repo, "--chunk-size", "16K"])).code, 0);
    assert.equal((await cli(["repo", "backup-image", "--repo", repo, "--name", "vm", source])).code, 0);
    const second = await cli(["repo", "backup-image", "--repo", repo, "--name", "vm", source, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    const point = (JSON.parse(second.stdout) as { point: string }).point;

    const seen = await cli(["repo", "verify", "--repo", repo]);
    assert.equal(seen.code, 0, seen.stdout);
    const head = HEAD.exec(seen.stdout)?.[1];
    assert.ok(head !== undefined && head.startsWith("2:"), seen.stdout);
    assert.equal((await cli(["repo", "verify", "--repo", repo, "--points-log-head", head])).code, 0, "the same head: nothing to report");

    // Roll the newest point back together with its log record: the repository is consistent in itself.
    const records = (await readdir(join(repo, "log"))).filter((name) => name.endsWith(".rec")).sort();
    await rm(join(repo, "log", records.at(-1) as string));
    await rm(join(repo, "points", `${point}.manifest`));
    await rm(join(repo, "indexes", point), { recursive: true });
    assert.equal((await cli(["repo", "verify", "--repo", repo])).code, 0, "without the head the rollback is invisible");

    const rolledBack = await cli(["repo", "verify", "--repo", repo, "--points-log-head", head]);
    assert.equal(rolledBack.code, 1, rolledBack.stdout);
    assert.match(rolledBack.stdout, /rolled back: the points log has 1 record\(s\), 2 were seen before/u);
  });

  it("refuses a head that is not RECORDS:DIGEST, naming the option", async () => {
    const repo = join(dir, "bad");
    assert.equal((await cli(["repo", "init", "--repo", repo])).code, 0);
    const result = await cli(["repo", "verify", "--repo", repo, "--points-log-head", "2:xyz"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--points-log-head: '2:xyz' is not RECORDS:DIGEST/u);
  });
});
