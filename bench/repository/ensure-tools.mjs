// The benchmark needs GNU time and, to compare with, restic and borg. The packages come from the project's
// one list (deploy/debian-packages.txt, purposes bench and bench-peers): on a fresh machine, as root,
// deploy/install-packages.sh installs them; otherwise it names what to install.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const INSTALL = fileURLToPath(new URL("../../deploy/install-packages.sh", import.meta.url));

/**
 * Installs what is missing (needs root); throws with instructions otherwise. `also`: further purposes of
 * the package list a benchmark needs (the transporter bench runs the simulator).
 */
export function ensureTools({ wantPeers, also = [] }, log) {
  const purposes = [...(wantPeers ? ["bench", "bench-peers"] : ["bench"]), ...also];
  if (spawnSync("bash", [INSTALL, "--check", ...purposes], { stdio: "ignore" }).status === 0) return;
  log(`installing the Debian packages for ${purposes.join(", ")} ...`);
  const result = spawnSync("bash", [INSTALL, ...purposes], { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`missing Debian packages for ${purposes.join(", ")} (see above)`);
}
