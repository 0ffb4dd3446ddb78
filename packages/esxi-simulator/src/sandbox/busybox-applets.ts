import { execFileSync } from "node:child_process";

/**
 * The applets a busybox binary provides (`busybox --list`), cached per binary path. Read once per process:
 * the answer only changes when the binary does.
 */
const cache = new Map<string, string[]>();

export function busyboxApplets(busyboxPath: string): string[] {
  let applets = cache.get(busyboxPath);
  if (applets === undefined) {
    const out = execFileSync(busyboxPath, ["--list"], { encoding: "utf8" });
    applets = out.split("\n").filter((name) => /^[A-Za-z0-9_.[\]-]+$/u.test(name));
    cache.set(busyboxPath, applets);
  }
  return applets;
}
