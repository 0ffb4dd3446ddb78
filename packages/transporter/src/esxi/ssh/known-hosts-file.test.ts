// Our known-hosts file: OpenSSH's syntax (checked with the real ssh-keygen), foreign lines kept, a re-pin
// replacing only the host's own lines, and every write atomic (no temporary file left, old file intact
// when a write cannot happen).
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { hostKeyFromBlob } from "./host-key.js";
import { KnownHostsFile } from "./known-hosts-file.js";

/** A folder of its own for each test, all removed at the end. */
const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "known-hosts-"));
  folders.push(folder);
  return folder;
}

function newKey(dir: string, name: string): ReturnType<typeof hostKeyFromBlob> {
  execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", join(dir, name)]);
  const blob = Buffer.from(readFileSync(join(dir, `${name}.pub`), "utf8").split(" ")[1] ?? "", "base64");
  return hostKeyFromBlob(blob);
}

test("pins, looks up, re-pins and keeps other lines, in a file ssh-keygen reads", async () => {
  const dir = tempFolder();
  const path = join(dir, "sub", "known_hosts");
  const a = newKey(dir, "a");
  const b = newKey(dir, "b");
  const file = new KnownHostsFile(path);
  assert.deepEqual(await file.lookup("esx01", 22), []);
  await file.pin("esx01", 22, a);
  await file.pin("esx01", 22, a);
  await file.pin("10.0.0.5", 2222, b);
  writeFileSync(path, `# a comment we keep\n${readFileSync(path, "utf8")}`);
  assert.deepEqual((await file.lookup("esx01", 22)).map((k) => k.fingerprint), [a.fingerprint]);
  assert.deepEqual((await file.lookup("10.0.0.5", 2222)).map((k) => k.hostPattern), ["[10.0.0.5]:2222"]);
  assert.deepEqual(await file.lookup("10.0.0.5", 22), [], "another port is another host");

  const listed = execFileSync("ssh-keygen", ["-lf", path], { encoding: "utf8" });
  assert.ok(listed.includes(a.fingerprint) && listed.includes(b.fingerprint), listed);
  const found = execFileSync("ssh-keygen", ["-F", "[10.0.0.5]:2222", "-f", path], { encoding: "utf8" });
  assert.ok(found.includes(b.base64), "OpenSSH finds the host by its [host]:port pattern");

  await file.replace("esx01", 22, b);
  assert.deepEqual((await file.lookup("esx01", 22)).map((k) => k.fingerprint), [b.fingerprint]);
  assert.ok(readFileSync(path, "utf8").startsWith("# a comment we keep\n"));
  assert.deepEqual(readdirSync(join(dir, "sub")), ["known_hosts"], "no temporary file is left behind");
});

test("a write that cannot happen fails with the reason and leaves nothing behind", async () => {
  // A folder where the file should be: rename cannot replace it, whoever runs the test (root included).
  const dir = tempFolder();
  const file = new KnownHostsFile(join(dir, "known_hosts"));
  mkdirSync(join(dir, "known_hosts"));
  await assert.rejects(file.pin("esx01", 22, newKey(dir, "k")), /EISDIR|directory/u);
  assert.deepEqual(readdirSync(dir).sort(), ["k", "k.pub", "known_hosts"], "no temporary file is left behind");
});

test("a SHA256 fingerprint is written as OpenSSH prints it", () => {
  const dir = tempFolder();
  const key = newKey(dir, "k");
  const printed = execFileSync("ssh-keygen", ["-lf", join(dir, "k.pub")], { encoding: "utf8" }).split(" ")[1];
  assert.equal(key.fingerprint, printed);
  assert.equal(key.type, "ecdsa-sha2-nistp256");
});

test("writers that do not share memory (two processes) never lose each other's pins", async () => {
  const dir = tempFolder();
  const path = join(dir, "known_hosts");
  const key = newKey(dir, "k");
  const writers = [new KnownHostsFile(path), new KnownHostsFile(path)];
  await Promise.all(Array.from({ length: 20 }, (_, i) => (writers[i % 2] as KnownHostsFile).pin(`esx${i}`, 22, key)));
  const lines = readFileSync(path, "utf8").trim().split("\n");
  assert.equal(lines.length, 20);
  for (let i = 0; i < 20; i++) assert.equal((await writers[0]?.lookup(`esx${i}`, 22))?.length, 1, `esx${i}`);
  assert.deepEqual(readdirSync(dir).sort(), ["k", "k.pub", "known_hosts"], "the lock file is gone");
});

test("a lock left by a process that died is taken over", async () => {
  const dir = tempFolder();
  const path = join(dir, "known_hosts");
  // A pid that cannot exist (above Linux's pid_max limit of 2^22).
  writeFileSync(`${path}.lock`, String(2 ** 22 + 1));
  await new KnownHostsFile(path).pin("esx01", 22, newKey(dir, "k"));
  assert.equal((await new KnownHostsFile(path).lookup("esx01", 22)).length, 1);
});

test("a known-hosts path that is a folder or runs through a file is bad input naming it, not an unexpected error", async () => {
  const dir = tempFolder();
  writeFileSync(join(dir, "a-file"), "");
  for (const [path, why] of [
    [dir, "EISDIR: it is a folder"],
    [join(dir, "a-file", "known_hosts"), "ENOTDIR: a part of the path is a file"],
  ] as const) {
    await assert.rejects(new KnownHostsFile(path).lookup("esx01", 22), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError, String(error));
      assert.equal(error.message, `known-hosts file: cannot read ${path} (${why})`);
      return true;
    });
  }
});
