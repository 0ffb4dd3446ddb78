/**
 * `esxbackup repo init --repo DIR [--chunk-size SIZE] [--compression-level N] [--encrypt]` — creates an
 * empty repository.
 */
import { readdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import {
  DEFAULT_CHUNK_SIZE_BYTES,
  DEFAULT_COMPRESSION_LEVEL,
  LocalDirectoryBlobStore,
  MAX_COMPRESSION_LEVEL,
  MIN_COMPRESSION_LEVEL,
  Repository,
  checkChunkSize,
  checkCompressionLevel,
  compressionLevelOf,
} from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { askPassphrase, formatBytes, parseByteSize, readPassphrase, withRepoOptions, writeJson } from "./open-repository.js";
import { checkWritable, explainNotWritable } from "./repository-not-writable.js";
import type { RepoOptions } from "./open-repository.js";

export function registerRepoInit(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("init"))
    .description("create an empty repository")
    .option("--chunk-size <size>", `chunk size, a power of two from 4K to 16M (default ${DEFAULT_CHUNK_SIZE_BYTES / 1024}K)`)
    .option(
      "--compression-level <n>",
      `zstd level of new chunks, ${MIN_COMPRESSION_LEVEL}-${MAX_COMPRESSION_LEVEL} (default ${DEFAULT_COMPRESSION_LEVEL}; higher = smaller repository, slower backups)`,
    )
    .option("--encrypt", "encrypt with a key protected by the passphrase (--password-file or ESXBACKUP_PASSWORD)")
    .option("--json", "print the configuration as JSON")
    .action(async (options: RepoOptions & { chunkSize?: string; compressionLevel?: string; encrypt?: boolean; json?: boolean }) => {
      const chunkSizeBytes = options.chunkSize === undefined ? DEFAULT_CHUNK_SIZE_BYTES : checkChunkSize(parseByteSize(options.chunkSize, "--chunk-size"));
      const compressionLevel = options.compressionLevel === undefined ? undefined : parseCompressionLevel(options.compressionLevel);
      await checkNewRepositoryFolder(options.repo);
      const passphrase =
        options.encrypt === true
          ? ((await readPassphrase(options, context)) ?? (await askPassphrase(context, `enter a passphrase for the new repository ${options.repo}`, { confirm: true })))
          : undefined;
      if (options.encrypt === true && passphrase === undefined) {
        throw new InvalidInputError("--encrypt", "needs a passphrase: give --password-file or set ESXBACKUP_PASSWORD");
      }
      let repository: Repository;
      try {
        repository = await Repository.init(new LocalDirectoryBlobStore(options.repo), {
          chunkSizeBytes,
          encrypt: options.encrypt === true,
          ...(passphrase === undefined ? {} : { passphrase }),
          ...(compressionLevel === undefined ? {} : { compressionLevel }),
        });
      } catch (error) {
        throw explainNotWritable(error, options.repo);
      }
      await repository.close();
      if (options.json === true) writeJson(context, repository.config);
      else context.stdout.write(`created repository ${options.repo} (chunk size ${formatBytes(chunkSizeBytes)}, zstd level ${compressionLevelOf(repository.config)}, ${repository.config.encryption === "none" ? "not encrypted" : "encrypted"})\n`);
    });
}

/**
 * A repository is made only in a new or empty folder: a folder of other files (VMDKs, say) would become a
 * repository with them inside, and gc or a later `rm -r` of the repository would take them along. A folder
 * that already holds a repository is left to the library, which says so. Refusals change nothing.
 */
async function checkNewRepositoryFolder(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") return checkWritable(dirname(resolve(dir)), dir);
    if (code === "ENOTDIR") throw new InvalidInputError("--repo", `${dir} exists and is not a folder`);
    throw new InvalidInputError("--repo", `cannot read ${dir} (${code ?? String(error)})`);
  }
  if (entries.includes("config.json")) return;
  if (entries.length > 0) {
    const shown = entries.sort().slice(0, 3).join(", ");
    throw new InvalidInputError("--repo", `${dir} is not empty (it holds ${shown}${entries.length > 3 ? ", …" : ""}); a repository is created only in a new or empty folder`);
  }
  await checkWritable(dir, dir);
}

function parseCompressionLevel(text: string): number {
  return checkCompressionLevel(/^[0-9]+$/.test(text) ? Number(text) : Number.NaN, "--compression-level", JSON.stringify(text));
}
