/** `esxbackup repo init --repo DIR [--chunk-size SIZE] [--encrypt]` — creates an empty repository. */
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import { DEFAULT_CHUNK_SIZE_BYTES, LocalDirectoryBlobStore, Repository, checkChunkSize } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { formatBytes, parseByteSize, readPassphrase, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";


export function registerRepoInit(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("init"))
    .description("create an empty repository")
    .option("--chunk-size <size>", `chunk size, a power of two from 4K to 16M (default ${DEFAULT_CHUNK_SIZE_BYTES / 1024}K)`)
    .option("--encrypt", "encrypt with a key protected by the passphrase (--password-file or ESXBACKUP_PASSWORD)")
    .option("--json", "print the configuration as JSON")
    .action(async (options: RepoOptions & { chunkSize?: string; encrypt?: boolean; json?: boolean }) => {
      const chunkSizeBytes = options.chunkSize === undefined ? DEFAULT_CHUNK_SIZE_BYTES : checkChunkSize(parseByteSize(options.chunkSize, "--chunk-size"));
      const passphrase = options.encrypt === true ? await readPassphrase(options, context) : undefined;
      if (options.encrypt === true && passphrase === undefined) {
        throw new InvalidInputError("--encrypt", "needs a passphrase: give --password-file or set ESXBACKUP_PASSWORD");
      }
      const repository = await Repository.init(new LocalDirectoryBlobStore(options.repo), {
        chunkSizeBytes,
        encrypt: options.encrypt === true,
        ...(passphrase === undefined ? {} : { passphrase }),
      });
      await repository.close();
      if (options.json === true) writeJson(context, repository.config);
      else context.stdout.write(`created repository ${options.repo} (chunk size ${formatBytes(chunkSizeBytes)}, ${repository.config.encryption === "none" ? "not encrypted" : "encrypted"})\n`);
    });
}
