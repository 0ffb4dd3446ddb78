// restic as the benchmark runs it: its defaults (content-defined chunks of 512 KiB-8 MiB, about 1 MiB on
// average; repository format 2 with `auto` zstd compression; AES-256-CTR + Poly1305, always on), the
// password from RESTIC_PASSWORD and its cache kept inside the work dir.
import { run } from "../measure.mjs";

export function resticPeer({ cacheDir, password }) {
  const env = { RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: cacheDir };
  return {
    id: "restic",
    settings: "defaults (compression auto, AES-256)",
    encrypted: true,
    version: () => run(["restic", "version"], { env }).trim().split(" ").slice(0, 2).join(" "),
    init: (repoDir) => ({ argv: ["restic", "--repo", repoDir, "init"], env }),
    backup: ({ repoDir, imagePath }) => ({
      argv: ["restic", "--repo", repoDir, "backup", "--quiet", "--host", "bench", imagePath],
      env,
    }),
  };
}
