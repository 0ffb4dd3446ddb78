/**
 * deploy/debian-packages.txt is the one list of Debian packages: a command, path or include that a test,
 * a script or the proto generator uses and that no listed package provides works on a machine where it was
 * installed by hand and fails on a fresh one (libprotobuf-dev, which protoc only recommends, was such a
 * case). Every use is traced to the Debian package that owns it on this machine; that package must be in
 * the list (or be one a listed package depends on, or be essential to Debian).
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const install = join(root, "deploy/install-packages.sh");
/** The prerequisites the README asks for besides Debian packages (Node.js with npm). */
const PREREQUISITES = new Set(["node", "npm", "npx"]);
/** Commands this project provides itself (deploy/link-command.sh puts `esxbackup` on PATH). */
const OURS = new Set(["esxbackup"]);
const STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

interface ListedPackage {
  name: string;
  purposes: string[];
  provides: string[];
}

function readList(): ListedPackage[] {
  return readFileSync(join(root, "deploy/debian-packages.txt"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const [name, purposes, ...provides] = line.trim().split(/\s+/);
      return { name: name as string, purposes: (purposes ?? "").split(","), provides };
    });
}

/** Installed packages: what each depends on (every alternative), which are essential, who provides what. */
function installedPackages(): { depends: Map<string, string[]>; essential: Set<string>; providers: Map<string, string[]> } {
  const out = execFileSync("dpkg-query", ["-W", "-f=${Package}\t${Status}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\t${Provides}\n"], {
    encoding: "utf8",
  });
  const depends = new Map<string, string[]>();
  const essential = new Set<string>();
  const providers = new Map<string, string[]>();
  const names = (field: string): string[] =>
    field
      .split(/[,|]/)
      .map((item) => item.trim().split(/[\s:(]/)[0] ?? "")
      .filter((item) => item !== "");
  for (const line of out.split("\n")) {
    const [name, status, isEssential, priority, deps, provides] = line.split("\t");
    if (name === undefined || name === "" || !(status ?? "").includes("install ok installed")) continue;
    depends.set(name, names(deps ?? ""));
    if (isEssential === "yes" || priority === "required") essential.add(name);
    for (const virtual of names(provides ?? "")) providers.set(virtual, [...(providers.get(virtual) ?? []), name]);
  }
  return { depends, essential, providers };
}

/** The listed packages and everything they depend on, as installed here. */
function closure(listed: readonly string[], installed: ReturnType<typeof installedPackages>): Set<string> {
  const seen = new Set<string>();
  const queue = [...listed];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(installed.depends.get(name) ?? []), ...(installed.providers.get(name) ?? []));
  }
  return seen;
}

/** The Debian package that owns a file, trying the path as given, resolved, and without /usr (merged /usr). */
function owner(path: string): string | undefined {
  const candidates = new Set([path]);
  try {
    candidates.add(realpathSync(path));
  } catch {
    // missing: tried as given
  }
  for (const candidate of [...candidates]) if (candidate.startsWith("/usr/")) candidates.add(candidate.slice(4));
  for (const candidate of candidates) {
    const result = spawnSync("dpkg-query", ["-S", candidate], { encoding: "utf8" });
    const line = result.stdout.split("\n").find((text) => text.includes(": ") && !text.startsWith("diversion by"));
    if (result.status === 0 && line !== undefined) return line.split(":")[0]?.split(",")[0]?.trim();
  }
  return undefined;
}

function resolveCommand(name: string): string | undefined {
  const result = spawnSync("/bin/bash", ["-c", 'command -v -- "$1"', "resolve", name], { encoding: "utf8", env: { PATH: STANDARD_PATH } });
  const path = result.stdout.trim();
  return result.status === 0 && path.startsWith("/") ? path : undefined;
}

function files(dir: string, accept: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === "node_modules" || entry === "dist" || entry === "fixtures" || entry.startsWith(".")) return [];
    return statSync(path).isDirectory() ? files(path, accept) : accept(path) ? [path] : [];
  });
}

/** A use of a command or file: what, and where it was found. */
interface Use {
  what: string;
  where: string;
}

const SHELL_WORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "for", "while", "until", "case", "esac", "in", "function", "select", "time"]);

/** Commands at a command position of the shell scripts (after `;`, `|`, `&&`, `$(`, `exec`, `--` …). */
function shellUses(path: string): Use[] {
  const text = readFileSync(path, "utf8");
  const functions = new Set([...text.matchAll(/^\s*([\w-]+)\(\)/gm)].map((match) => match[1] as string));
  const uses: Use[] = [];
  text.split("\n").forEach((raw, line) => {
    // Comments and quoted text are not run, except command substitutions inside double quotes.
    const code = raw
      .replace(/(^|\s)#.*$/, "")
      .replace(/'[^']*'/g, "''")
      .replace(/"([^"]*)"/g, (_, inner: string) => ` ${[...inner.matchAll(/\$\([^)]*\)?/g)].map((match) => match[0]).join(" ")} `);
    const starts = /(?:^|[;|&(!]|\$\(|\b(?:then|do|else|exec|if|while|until|time)\s|\s--\s)\s*([a-z][\w.+-]*)(?=\s|$|;)/g;
    for (const match of code.matchAll(starts)) {
      const word = match[1] as string;
      if (SHELL_WORDS.has(word) || functions.has(word) || /^\w+=/.test(code.slice((match.index ?? 0) + match[0].length - word.length))) continue;
      uses.push({ what: word, where: `${relative(root, path)}:${line + 1}` });
    }
  });
  return uses;
}

/** Commands and absolute paths the TypeScript and JavaScript code runs. */
function codeUses(path: string): Use[] {
  const text = readFileSync(path, "utf8");
  const uses: Use[] = [];
  const spawned = /\b(?:spawn|spawnSync|execFile|execFileSync|spawnChecked)\)?\(\s*["']([^"'/\s][^"'\s]*)["']/g;
  for (const match of text.matchAll(spawned)) uses.push({ what: match[1] as string, where: relative(root, path) });
  for (const match of text.matchAll(/["'](\/(?:usr\/)?(?:s?bin|lib|libexec|include)\/[\w./+-]+)["']/g)) {
    uses.push({ what: match[1] as string, where: relative(root, path) });
  }
  return uses;
}

function allUses(): Use[] {
  const scripts = [
    ...files(join(root, "deploy"), (path) => path.endsWith(".sh")),
    ...files(join(root, "proto/scripts"), (path) => path.endsWith(".sh")),
    ...files(join(root, "test/harness"), (path) => path.endsWith(".sh")),
    join(root, ".ci/run"),
  ];
  const code = [root + "packages", root + "test", root + "bench", root + "proto/src"].flatMap((dir) =>
    files(dir, (path) => /\.(ts|mjs)$/.test(path) && !path.endsWith(".d.ts")),
  );
  const protoImports = files(join(root, "proto"), (path) => path.endsWith(".proto")).flatMap((path) =>
    [...readFileSync(path, "utf8").matchAll(/^import\s+"(google\/[^"]+)"/gm)].map((match) => ({ what: `/usr/include/${match[1] as string}`, where: relative(root, path) })),
  );
  return [...scripts.flatMap(shellUses), ...code.flatMap(codeUses), ...protoImports];
}

describe("the Debian package list", () => {
  const list = readList();

  it("gives every purpose the scripts install some packages, and --check names what is missing without installing", () => {
    for (const purpose of ["build", "services", "simulator", "tests", "quickstart", "bench", "bench-peers", "browser"]) {
      const result = spawnSync("bash", [install, "--list", purpose], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      assert.notEqual(result.stdout.trim(), "", `purpose ${purpose} has no packages`);
    }
    const unknown = spawnSync("bash", [install, "--check", "no-such-purpose"], { encoding: "utf8" });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown purpose 'no-such-purpose'/);
    // The tests run after the test command installed their packages: --check agrees.
    const check = spawnSync("bash", [install, "--check", "tests"], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /all Debian packages for tests are installed/);
    // The generator's well-known types are there by name, not through protoc's recommendation.
    assert.ok(
      list.some((entry) => entry.purposes.includes("build") && entry.provides.includes("/usr/include/google/protobuf/timestamp.proto")),
      "no build package provides google/protobuf/timestamp.proto",
    );
  });

  it("--check names a missing package and installs nothing, even as root", () => {
    const copy = mkdtempSync(join(tmpdir(), "esxbackup-packages-"));
    try {
      copyFileSync(install, join(copy, "install-packages.sh"));
      writeFileSync(join(copy, "debian-packages.txt"), "# test list\nesxbackup-absent   tests   /nonexistent/esxbackup-probe\ncoreutils   tests   ls\n");
      // An apt-get that only records that it was called.
      writeFileSync(join(copy, "apt-get"), `#!/bin/sh\necho called >> ${join(copy, "apt-get.calls")}\n`, { mode: 0o755 });
      const env = { PATH: `${copy}:${STANDARD_PATH}` };
      const check = spawnSync("bash", [join(copy, "install-packages.sh"), "--check", "tests"], { encoding: "utf8", env });
      assert.equal(check.status, 1);
      assert.equal(check.stderr, "missing Debian packages for tests: esxbackup-absent\n");
      assert.equal(existsSync(join(copy, "apt-get.calls")), false, "--check ran apt-get");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("says what each installed package provides truthfully", () => {
    const installed = installedPackages();
    const problems: string[] = [];
    for (const entry of list) {
      if (!installed.depends.has(entry.name)) continue;
      const own = closure([entry.name], installed);
      for (const item of entry.provides) {
        if (item.startsWith("dpkg:")) continue;
        const path = item.startsWith("/") ? item : resolveCommand(item);
        const by = path === undefined ? undefined : owner(path);
        if (by === undefined || !own.has(by)) problems.push(`${entry.name} lists ${item}, which ${by === undefined ? "no Debian package provides here" : `comes from ${by}`}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("provides every command, file and include the tests, scripts and generator use", () => {
    const installed = installedPackages();
    const listed = closure(
      list.map((entry) => entry.name),
      installed,
    );
    const providedNames = new Set(list.flatMap((entry) => entry.provides.map((item) => item.split("/").pop() as string)));
    const uses = allUses();
    assert.ok(uses.some((use) => use.what === "/usr/include/google/protobuf/timestamp.proto"), "the proto imports were not found");
    assert.ok(uses.some((use) => use.what === "qemu-img"), "the commands the tests run were not found");
    const problems = new Set<string>();
    for (const use of uses) {
      const builtin = spawnSync("/bin/bash", ["-c", 'type -t -- "$1"', "type", use.what], { encoding: "utf8", env: { PATH: "" } }).stdout.trim();
      if (builtin === "builtin" || builtin === "keyword" || PREREQUISITES.has(use.what) || OURS.has(use.what)) continue;
      const path = use.what.startsWith("/") ? (existsSync(use.what) ? use.what : undefined) : resolveCommand(use.what);
      if (path === undefined) {
        // A path tried among others (another distribution's place for a file) is fine if one of them is listed.
        if (use.what.startsWith("/") && providedNames.has(use.what.split("/").pop() as string)) continue;
        problems.add(`${use.what} (${use.where}) is not on this machine: no listed package provides it`);
        continue;
      }
      const by = owner(path);
      if (by === undefined) problems.add(`${use.what} (${use.where}) is ${path}, which no Debian package provides`);
      else if (!listed.has(by) && !installed.essential.has(by)) problems.add(`${use.what} (${use.where}) comes from the Debian package ${by}, which deploy/debian-packages.txt does not list`);
    }
    assert.deepEqual([...problems], []);
  });
});
