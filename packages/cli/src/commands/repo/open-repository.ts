/**
 * What every `repo` verb shares: the `--repo` and `--password-file` options, opening the repository with
 * the passphrase from the file or ESXBACKUP_PASSWORD, parsing point ids, and a progress bar drawn only when
 * stderr is a terminal.
 */
import { readFile } from "node:fs/promises";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { InvalidInputError, parsePointId } from "@esxbackup/domain";
import type { PointId } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, Repository } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { explainNotWritable } from "./repository-not-writable.js";

export interface RepoOptions {
  repo: string;
  passwordFile?: string;
  /**
   * The option `passwordFile` came from, named in messages: `--repo-password-file` in `backup` and `restore`,
   * where `--password-file` is the host's password (default `--password-file`, the `repo` verbs' option).
   */
  passwordFileOption?: string;
  /** Worker threads for the repository's chunk codec (`OpenOptions.threads`); default one per core. */
  threads?: number;
  /** `OpenOptions.compressionFloor`: a backup that holds a VM snapshot open. */
  compressionFloor?: number;
}

export function withRepoOptions(command: Command): Command {
  return command
    .requiredOption("--repo <dir>", "the repository folder")
    .option("--password-file <file>", "file holding the passphrase of an encrypted repository (or set ESXBACKUP_PASSWORD)");
}

export async function readPassphrase(options: RepoOptions, context: CommandContext): Promise<string | undefined> {
  if (options.passwordFile !== undefined) {
    try {
      return (await readFile(options.passwordFile, "utf8")).replace(/\r?\n$/, "");
    } catch (error) {
      throw new InvalidInputError(passwordFileOption(options), `cannot read ${options.passwordFile} (${(error as { code?: string }).code ?? String(error)})`);
    }
  }
  const fromEnv = context.env["ESXBACKUP_PASSWORD"];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function passwordFileOption(options: RepoOptions): string {
  return options.passwordFileOption ?? "--password-file";
}

/**
 * Asks on the terminal, when there is one (twice with `confirm`, for a new passphrase); undefined when
 * there is none, so the caller's "give --password-file or set ESXBACKUP_PASSWORD" stands.
 */
export async function askPassphrase(context: CommandContext, prompt: string, options: { confirm?: boolean } = {}): Promise<string | undefined> {
  if (context.promptSecret === undefined) return undefined;
  const first = await context.promptSecret(`${prompt}: `);
  if (first === "") throw new InvalidInputError("passphrase", "must not be empty; nothing was changed");
  if (options.confirm === true && (await context.promptSecret("enter it again: ")) !== first) {
    throw new InvalidInputError("passphrase", "the two entries differ; nothing was changed");
  }
  return first;
}

/** Opens with the passphrase from the file or environment; an encrypted repository without one asks for it on a terminal. */
export async function openRepository(options: RepoOptions, context: CommandContext): Promise<Repository> {
  const passphrase = await readPassphrase(options, context);
  const store = new LocalDirectoryBlobStore(options.repo);
  const threads = {
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.compressionFloor === undefined ? {} : { compressionFloor: options.compressionFloor }),
  };
  if (passphrase !== undefined) return Repository.open(store, { passphrase, ...threads });
  try {
    return await Repository.open(store, threads);
  } catch (error) {
    if (!(error instanceof InvalidInputError && error.field === "passphrase")) throw error;
    const asked = await askPassphrase(context, `enter the passphrase of repository ${options.repo}`);
    // Said with this command's option: in `backup` and `restore`, --password-file is the host's password.
    if (asked === undefined) throw new InvalidInputError("passphrase", `the repository is encrypted: give ${passwordFileOption(options)} or set ESXBACKUP_PASSWORD`, { cause: error });
    return Repository.open(store, { passphrase: asked, ...threads });
  }
}

/**
 * Runs `body` with the repository open, closing it (and its worker threads) afterwards. `opening`: the
 * repository being opened already (`usingRepositoryAlongside`).
 */
export async function usingRepository<T>(options: RepoOptions, context: CommandContext, body: (repository: Repository) => Promise<T>, opening?: Promise<Repository>): Promise<T> {
  try {
    const repository = await (opening ?? openRepository(options, context));
    try {
      return await body(repository);
    } finally {
      await repository.close();
    }
  } catch (error) {
    throw explainNotWritable(error, options.repo);
  }
}

/**
 * `usingRepository` with `first` run while the repository opens: its key derivation takes most of a second,
 * time a command can spend logging in to a host. `first` failing fails the command with its error (the
 * repository closed once it has opened); otherwise `body` gets both. A failure to open is reported only
 * after `first` succeeded, so errors come in the order they would without the overlap, and `release` then
 * gets what `first` made (a host session: left open, it would keep the process from ending). A repository
 * that may ask for its passphrase on the terminal is opened after `first`: nobody is asked for a passphrase
 * only to be told then that the host refused the login.
 */
export async function usingRepositoryAlongside<F, T>(
  options: RepoOptions,
  context: CommandContext,
  first: () => Promise<F>,
  body: (repository: Repository, first: F) => Promise<T>,
  release: (first: F) => Promise<void>,
): Promise<T> {
  const withFirst = async (firstResult: F, opening?: Promise<Repository>): Promise<T> => {
    let handedOver = false;
    try {
      return await usingRepository(
        options,
        context,
        (repository) => {
          handedOver = true;
          return body(repository, firstResult);
        },
        opening,
      );
    } finally {
      // Not opened: `body`, which owns what `first` made from here on, never ran. The open's error is the one reported.
      if (!handedOver) await release(firstResult).catch(() => undefined);
    }
  };
  if ((await readPassphrase(options, context)) === undefined && context.promptSecret !== undefined) return withFirst(await first());
  const opening = openRepository(options, context);
  // Awaited below, or closed when `first` fails: its own failure must not go unhandled meanwhile.
  opening.catch(() => undefined);
  let firstResult: F;
  try {
    firstResult = await first();
  } catch (error) {
    await opening.then((repository) => repository.close(), () => undefined);
    throw error;
  }
  return withFirst(firstResult, opening);
}

export function parsePointIds(values: readonly string[]): PointId[] {
  return values.map((value) => parsePointId(value));
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
export function startProgress(context: CommandContext, label: string, total: number): Progress {
  if (!context.interactive || total === 0) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: context.stderr as NodeJS.WritableStream, format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "65536", "64K", "1M", "2G" (binary units) → bytes; `option` names the flag in errors. */
export function parseByteSize(text: string, option: string): number {
  const match = /^(\d+)\s*([kKmMgG]?)(?:i?[bB])?$/.exec(text.trim());
  const bytes = match ? Number(match[1]) * (SIZE_UNITS[(match[2] ?? "").toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new InvalidInputError(option, `expected a size like 65536, 256K or 1M (got ${JSON.stringify(text)})`);
  return bytes;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function writeJson(context: CommandContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
