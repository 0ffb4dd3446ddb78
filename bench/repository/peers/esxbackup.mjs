// Our repository through its CLI, started as the `esxbackup` command starts it: node with the Node options of
// the entry's first line (`cliCommand`; npx would add its own start-up time to every run). The commands and the changed-list format are the ones agreed with the CLI:
//   repo init --repo DIR [--chunk-size SIZE] [--compression-level N] [--encrypt]   (password from ESXBACKUP_PASSWORD)
//   repo backup-image --repo DIR --name NAME FILE [--previous POINT] [--changed-list FILE] --json
//   repo stats --repo DIR --json;  repo verify --repo DIR
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../measure.mjs";

/**
 * `node OPTIONS ENTRY`: the Node options of the entry's first line (`#!/usr/bin/env -S node OPTIONS`), as the
 * command deploy/link-command.sh writes runs it (docs/adr/0033-heap-setting-for-the-data-path.md).
 */
export function cliCommand(cliPath) {
  const options = /^#!\/usr\/bin\/env -S node(.*)$/.exec(readFileSync(cliPath, "utf8").split("\n")[0] ?? "")?.[1] ?? "";
  return ["node", ...options.split(" ").filter((word) => word !== ""), cliPath];
}

export function esxbackupPeer({ rootDir, cliPath = join(rootDir, "packages/cli/bin/esxbackup.js"), password, encrypted, chunkSize, compressionLevel }) {
  const cli = cliCommand(cliPath);
  const env = encrypted ? { ESXBACKUP_PASSWORD: password } : {};
  const opts = { env, cwd: rootDir };
  return {
    id: "esxbackup",
    settings: `${chunkSize ? `chunk ${chunkSize}` : "default chunk"}, ${compressionLevel ? `zstd ${compressionLevel}, ` : ""}${encrypted ? "encrypted" : "unencrypted"}`,
    encrypted,
    chunkSize,
    compressionLevel,
    version: () => {
      try {
        return `esxbackup ${run(["git", "-C", rootDir, "describe", "--always", "--dirty"]).trim()}`;
      } catch {
        return "esxbackup";
      }
    },
    init: (repoDir) => ({
      argv: [
        ...cli,
        "repo",
        "init",
        "--repo",
        repoDir,
        ...(chunkSize ? ["--chunk-size", chunkSize] : []),
        ...(compressionLevel ? ["--compression-level", compressionLevel] : []),
        ...(encrypted ? ["--encrypt"] : []),
      ],
      ...opts,
    }),
    backup: ({ repoDir, imagePath, name, previous, changedListPath }) => ({
      argv: [
        ...cli,
        "repo",
        "backup-image",
        "--repo",
        repoDir,
        "--name",
        name,
        imagePath,
        ...(previous ? ["--previous", previous] : []),
        ...(changedListPath ? ["--changed-list", changedListPath] : []),
        "--json",
      ],
      ...opts,
    }),
    /** The recovery point a backup made, from its --json output. */
    pointFrom: (stdout) => parseLastJson(stdout).point,
    stats: (repoDir) => parseLastJson(run([...cli, "repo", "stats", "--repo", repoDir, "--json"], opts)),
    verify: (repoDir) => ({ argv: [...cli, "repo", "verify", "--repo", repoDir], ...opts }),
  };
}

/** The CLI prints one JSON object; tolerate log lines before it. */
export function parseLastJson(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const start = text.lastIndexOf("\n{");
    return JSON.parse(text.slice(start + 1));
  }
}
