/**
 * `esxbackup` works from any folder once deploy/link-command.sh has put it on PATH, and the documentation
 * never suggests a command that would fetch a package from a registry: `npx NAME` outside a clone asks
 * npm's registry for whatever package has that name.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const link = join(root, "deploy/link-command.sh");
const VERSION = /"version": "([^"]+)"/.exec(readFileSync(join(root, "packages/cli/package.json"), "utf8"))?.[1];

function markdown(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === "node_modules" || entry.startsWith(".")) return [];
    return statSync(path).isDirectory() ? markdown(path) : entry.endsWith(".md") ? [path] : [];
  });
}

describe("the esxbackup command on PATH", () => {
  it("runs from any folder after link-command.sh, which never replaces a file it did not write", () => {
    const bin = mkdtempSync(join(tmpdir(), "esxbackup-bin-"));
    try {
      const linked = spawnSync("bash", [link, "--bin-dir", bin], { encoding: "utf8" });
      assert.equal(linked.status, 0, linked.stderr);
      const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: bin };
      const version = spawnSync("esxbackup", ["--version"], { cwd: "/", env, encoding: "utf8" });
      assert.equal(version.status, 0, version.stderr);
      assert.equal(version.stdout.trim(), VERSION);
      // The wrapper starts Node with the CLI's own options, those of its first line (docs/adr/0033).
      const options = /^#!\/usr\/bin\/env -S node (.+)$/m.exec(readFileSync(join(root, "packages/cli/bin/esxbackup.js"), "utf8").split("\n")[0] ?? "")?.[1] ?? "";
      assert.match(options, /--initial-old-space-size=\d+/, "the CLI's first line names its heap setting");
      assert.match(readFileSync(join(bin, "esxbackup"), "utf8"), new RegExp(`^exec '[^']+' ${options.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} '[^']+/esxbackup\\.js' "\\$@"$`, "m"));
      const direct = spawnSync(join(root, "packages/cli/bin/esxbackup.js"), ["--version"], { cwd: "/", env, encoding: "utf8" });
      assert.equal(direct.stdout.trim(), VERSION, `the CLI run by its own first line: ${direct.stderr}`);
      assert.equal(spawnSync("bash", [link, "--bin-dir", bin], { encoding: "utf8" }).status, 0, "run again, it replaces its own wrapper");

      writeFileSync(join(bin, "esxbackup"), "#!/bin/sh\necho someone else's\n");
      const refused = spawnSync("bash", [link, "--bin-dir", bin], { encoding: "utf8" });
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /exists and was not written by this script; it is left as it is/);
      assert.equal(readFileSync(join(bin, "esxbackup"), "utf8"), "#!/bin/sh\necho someone else's\n");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("is never suggested as an npx command that could fetch a stranger's package", () => {
    const files = [join(root, "README.md"), ...markdown(join(root, "docs")), ...markdown(join(root, "deploy"))];
    const offending = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, index) => (/\bnpx\s+(?!--no-install\b)\S/.test(line) ? [`${relative(root, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    assert.deepEqual(offending, []);
    assert.match(readFileSync(join(root, "README.md"), "utf8"), /deploy\/link-command\.sh/);
  });
});
