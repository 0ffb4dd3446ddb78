// borg as the benchmark runs it: default chunker (content-defined, about 2 MiB on average), `zstd,1`
// compression, and either `--encryption=repokey` (AES-256-CTR + HMAC-SHA256, passphrase from
// BORG_PASSPHRASE) or `--encryption=none`. BORG_BASE_DIR keeps its keys, cache and security files inside
// the work dir.
import { run } from "../measure.mjs";

export function borgPeer({ baseDir, password, encrypted }) {
  const env = {
    BORG_BASE_DIR: baseDir,
    BORG_PASSPHRASE: password,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "yes",
    BORG_RELOCATED_REPO_ACCESS_IS_OK: "yes",
  };
  const encryption = encrypted ? "repokey" : "none";
  return {
    id: "borg",
    settings: `zstd,1, ${encryption}`,
    encrypted,
    version: () => run(["borg", "--version"], { env }).trim(),
    init: (repoDir) => ({ argv: ["borg", "init", `--encryption=${encryption}`, repoDir], env }),
    backup: ({ repoDir, imagePath, name }) => ({
      argv: ["borg", "create", "--compression", "zstd,1", `${repoDir}::${name}`, imagePath],
      env,
    }),
  };
}
