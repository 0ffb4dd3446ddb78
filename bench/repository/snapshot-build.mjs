// A frozen copy of the built esxbackup packages for the length of one benchmark run. The checkout's dist/
// folders change whenever anyone rebuilds; a run of several minutes must measure one build from start to end.
//
// For every workspace package linked from node_modules/@esxbackup, its package.json, bin/ and dist/ are
// copied to the same relative path under <dir> (a package's own node_modules/, if any, is linked). <dir>/
// node_modules links every third-party package of the checkout and @esxbackup/<name> to the copies, so the
// copy resolves its own packages and shares the installed dependencies.
import { cpSync, existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** Returns the path of the copied CLI entry point. */
export function snapshotBuild(rootDir, dir) {
  rmSync(dir, { recursive: true, force: true });
  const scope = join(rootDir, "node_modules", "@esxbackup");
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@esxbackup"), { recursive: true });
  for (const name of readdirSync(scope)) {
    const from = resolve(scope, readlinkSync(join(scope, name)));
    const to = join(dir, relative(rootDir, from));
    mkdirSync(to, { recursive: true });
    for (const part of ["package.json", "bin", "dist"]) {
      if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true });
    }
    if (existsSync(join(from, "node_modules"))) symlinkSync(join(from, "node_modules"), join(to, "node_modules"));
    symlinkSync(relative(join(modules, "@esxbackup"), to), join(modules, "@esxbackup", name));
  }
  for (const entry of readdirSync(join(rootDir, "node_modules"))) {
    if (entry === "@esxbackup" || entry === ".bin") continue;
    symlinkSync(join(rootDir, "node_modules", entry), join(modules, entry));
  }
  return join(dir, "packages", "cli", "bin", "esxbackup.js");
}
