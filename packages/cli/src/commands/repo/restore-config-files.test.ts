import { strict as assert } from "node:assert";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { writeConfigFiles } from "./restore-config-files.js";

const POINT = "p1" as PointId;
const file = (name: string, text = name): { name: string; content: Buffer } => ({ name, content: Buffer.from(text) });

describe("writeConfigFiles", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the folder and each file", async () => {
    const target = join(dir, "new", "folder");
    await writeConfigFiles(target, POINT, [file("a.vmx"), file("a.nvram", "\u0000\u0001")]);
    assert.deepEqual((await readdir(target)).sort(), ["a.nvram", "a.vmx"]);
    assert.equal(await readFile(join(target, "a.nvram"), "latin1"), "\u0000\u0001");
  });

  const unsafe: [string, RegExp][] = [
    ["../evil.vmx", /contains a path separator/],
    ["sub/evil.vmx", /contains a path separator/],
    ["..", /names a folder/],
    ["", /is empty/],
  ];
  for (const [name, problem] of unsafe) {
    it(`refuses a manifest name ${JSON.stringify(name)} and writes nothing`, async () => {
      const target = join(dir, `unsafe-${unsafe.findIndex(([n]) => n === name)}`);
      await assert.rejects(writeConfigFiles(target, POINT, [file("ok.vmx"), file(name)]), (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.match(error.message, /^--config-dir: point p1 holds a configuration file whose name /);
        assert.match(error.message, problem);
        return true;
      });
      await assert.rejects(readdir(target), /ENOENT/);
      await assert.rejects(readFile(join(dir, "evil.vmx")), /ENOENT/);
    });
  }

  it("refuses a repeated name and an existing file, overwriting nothing", async () => {
    const target = join(dir, "existing");
    await assert.rejects(writeConfigFiles(target, POINT, [file("a.vmx"), file("a.vmx")]), /two configuration files named "a\.vmx"/);
    await writeConfigFiles(target, POINT, [file("b.vmx", "mine")]);
    await assert.rejects(writeConfigFiles(target, POINT, [file("a.vmx"), file("b.vmx", "theirs")]), /b\.vmx already exists; give --overwrite to replace it/);
    assert.deepEqual(await readdir(target), ["b.vmx"]);
    assert.equal(await readFile(join(target, "b.vmx"), "utf8"), "mine");
    await writeFile(join(dir, "plain-file"), "");
    await assert.rejects(writeConfigFiles(join(dir, "plain-file"), POINT, [file("a.vmx")]), /plain-file exists and is not a folder/);
  });
});
