/**
 * With neither --password-file nor ESXBACKUP_PASSWORD, on a terminal the passphrase is asked for (twice
 * for a new one), without echo. Run through a real pseudo-terminal (util-linux `script`), as a user would.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

const BIN = fileURLToPath(new URL("../bin/esxbackup.js", import.meta.url));
const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * Runs the CLI on a pseudo-terminal; each time the output ends with a prompt (`: `) the next answer is
 * typed. Resolves with everything the terminal showed and the exit code.
 */
function onTerminal(args: string[], answers: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", TERM: "dumb", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  let asked = 0;
  /** Where the screen ended when the last answer was typed: the next prompt comes after it. */
  let answeredAt = 0;
  child.stdout.on("data", (data: Buffer) => {
    screen += data.toString();
    if (asked < answers.length && screen.length > answeredAt && screen.endsWith(": ")) {
      child.stdin.write(`${answers[asked] as string}\r`);
      asked += 1;
      answeredAt = screen.length;
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, screen }));
  });
}

describe("passphrase prompt on a terminal", { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-prompt-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("asks twice for a new repository's passphrase, without echo, and once to open it", async () => {
    const repo = join(dir, "asked");
    const init = await onTerminal(["repo", "init", "--repo", repo, "--encrypt"], ["tërminal secret", "tërminal secret"]);
    assert.equal(init.code, 0, init.screen);
    assert.match(init.screen, /enter a passphrase for the new repository .*asked: \r?\nenter it again: \r?\n/);
    assert.match(init.screen, /created repository .* encrypted/);
    assert.doesNotMatch(init.screen, /secret/, "what is typed is not shown");

    const list = await onTerminal(["repo", "list", "--repo", repo], ["tërminal secret"]);
    assert.equal(list.code, 0, list.screen);
    assert.match(list.screen, /enter the passphrase of repository .*asked: /);
    const wrong = await onTerminal(["repo", "list", "--repo", repo], ["something else"]);
    assert.equal(wrong.code, 2, wrong.screen);
    assert.match(wrong.screen, /passphrase/i);
  });

  it("refuses two different entries for a new passphrase and creates nothing", async () => {
    const repo = join(dir, "differ");
    const init = await onTerminal(["repo", "init", "--repo", repo, "--encrypt"], ["one", "two"]);
    assert.equal(init.code, 2, init.screen);
    assert.match(init.screen, /passphrase: the two entries differ; nothing was changed/);
    await assert.rejects(rm(repo), /ENOENT/);
  });

  it("asks for the current and twice for the new passphrase in change-passphrase", async () => {
    const repo = join(dir, "change");
    assert.equal((await onTerminal(["repo", "init", "--repo", repo, "--encrypt"], ["old", "old"])).code, 0);
    const change = await onTerminal(["repo", "change-passphrase", "--repo", repo], ["old", "new", "new"]);
    assert.equal(change.code, 0, change.screen);
    assert.match(change.screen, /enter the current passphrase .*\r?\nenter the new passphrase: \r?\nenter it again: \r?\npassphrase changed/);
    assert.equal((await onTerminal(["repo", "list", "--repo", repo], ["new"])).code, 0);
  });
});
