// The benchmark needs GNU time, restic and borg. On a fresh machine (as root) it installs the Debian packages
// itself; otherwise it says what to install.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { GNU_TIME } from "./measure.mjs";

const NEEDS = [
  { what: "GNU time", present: () => existsSync(GNU_TIME), pkg: "time" },
  { what: "restic", present: () => onPath("restic"), pkg: "restic" },
  { what: "borg", present: () => onPath("borg"), pkg: "borgbackup" },
];

function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Installs what is missing (needs root and apt-get); throws with instructions otherwise. */
export function ensureTools({ wantPeers }, log) {
  const missing = NEEDS.filter((n) => (wantPeers || n.pkg === "time") && !n.present());
  if (missing.length === 0) return;
  const pkgs = missing.map((n) => n.pkg);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath("apt-get")) {
    throw new Error(`missing ${missing.map((n) => n.what).join(", ")}: install the Debian packages ${pkgs.join(" ")}`);
  }
  log(`installing ${pkgs.join(" ")} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-q"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", ...pkgs], { stdio: "inherit", env });
}
