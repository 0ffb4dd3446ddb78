import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { run } from "./main.js";

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const code = await run(argv, { stdout, stderr, env: {}, interactive: false, signal: new AbortController().signal });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe("esxbackup CLI", () => {
  it("lists its subcommands in --help", async () => {
    const { code, stdout } = await runCli(["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: esxbackup/m);
    assert.match(stdout, /^ {2}services /m);
    assert.match(stdout, /Exit codes: 0 ok, 1 problems found, 2 bad input/);
  });

  it("exits 2 with a usage message for an unknown command", async () => {
    const { code, stderr } = await runCli(["frobnicate"]);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command 'frobnicate'/);
  });

  it("exits 2 naming the bad value, without a stack trace", async () => {
    const { code, stderr } = await runCli(["services", "explode"]);
    assert.equal(code, 2);
    assert.equal(stderr, 'esxbackup: services verb: must be one of start, stop, status, env (got "explode")\n');
  });

  it("runs as the installed bin", () => {
    const bin = fileURLToPath(new URL("../bin/esxbackup.js", import.meta.url));
    const result = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "0.1.0");
  });

  it("a reader that closes the pipe before the output (`| head -1`, `| true`): no stack trace, the command's own exit status", async () => {
    const bin = fileURLToPath(new URL("../bin/esxbackup.js", import.meta.url));
    for (const args of [["--help"], ["frobnicate"]]) {
      // Both pipes closed before the command prints anything: every line it prints meets a closed pipe.
      const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy();
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, args[0] === "--help" ? 0 : 2, args[0]);
      const stderrClosed = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      stderrClosed.stderr.destroy();
      stderrClosed.stdout.destroy();
      const [both] = (await once(stderrClosed, "exit")) as [number | null];
      assert.equal(both, args[0] === "--help" ? 0 : 2, `${args[0]}, stderr closed too`);
    }
    // And nothing but the usage problem on stderr when only stdout is closed.
    const child = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
    await once(child, "close");
    assert.equal(stderr, "");
  });

  it("refuses an option that takes one value given twice, in any spelling and in nested commands, naming both values", async () => {
    for (const [argv, problem] of [
      [["backup", "--repo", "/srv/a", "--vm", "x", "--repo", "/srv/b"], '--repo: given twice ("/srv/a" and "/srv/b"): give it once'],
      [["backup", "--channels=2", "--channels", "3"], '--channels: given twice ("2" and "3"): give it once'],
      [["repo", "verify", "--repo", "/srv/a", "--repo", "/srv/a"], '--repo: given twice ("/srv/a"): give it once'],
    ] as const) {
      const { code, stdout, stderr } = await runCli([...argv]);
      assert.equal(code, 2, argv.join(" "));
      assert.equal(stdout, "");
      assert.equal(stderr, `esxbackup: ${problem}\n`);
    }
  });

  it("still takes options meant to be repeated, and flags given twice", async () => {
    // Past option parsing, the first problem is the missing --host: the repeats were accepted.
    const { code, stderr } = await runCli(["backup", "--vm", "a", "--vm", "b", "--tag", "t", "--tag", "u", "--exclude", "c", "--exclude", "d", "--json", "--json"]);
    assert.equal(code, 2);
    assert.match(stderr, /required option '--host <host\[:port\]>' not specified/);
  });
});
