/**
 * `esxbackup repo change-passphrase --repo DIR [--password-file F] [--new-password-file F]` — protects the
 * master key of an encrypted repository with a new passphrase; afterwards the old one opens nothing. The
 * new passphrase comes from a file or ESXBACKUP_NEW_PASSWORD, never from a command-line value (which `ps`
 * and shell history would keep). Interrupted, it leaves both passphrases working; running it again
 * finishes (see change-passphrase.ts in @esxbackup/repository).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidInputError } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, changePassphrase } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { askPassphrase, readPassphrase, withRepoOptions } from "./open-repository.js";
import { explainNotWritable } from "./repository-not-writable.js";
import type { RepoOptions } from "./open-repository.js";

const NEW_PASSWORD_ENV = "ESXBACKUP_NEW_PASSWORD";

interface ChangePassphraseOptions extends RepoOptions {
  newPasswordFile?: string;
}

export function registerRepoChangePassphrase(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("change-passphrase"))
    .description("protect the repository's key with a new passphrase; the current one stops working")
    .option("--new-password-file <file>", `file holding the new passphrase (or set ${NEW_PASSWORD_ENV})`)
    .action(async (options: ChangePassphraseOptions) => {
      const current = (await readPassphrase(options, context)) ?? (await askPassphrase(context, `enter the current passphrase of repository ${options.repo}`));
      const next = await readNewPassphrase(options, context);
      if (current === next.passphrase) throw new InvalidInputError(next.source, "the new passphrase is the same as the current one: nothing to change");
      const store = new LocalDirectoryBlobStore(options.repo);
      let change;
      try {
        change = await changePassphrase(store, { currentPassphrase: current ?? "", newPassphrase: next.passphrase });
      } catch (error) {
        throw explainNotWritable(error, options.repo);
      }
      context.stdout.write(
        `passphrase changed: the key is now in ${store.locate(change.keyFileKey)} (${change.removedKeyFileKeys.length} old key file(s) removed)\n`,
      );
    });
}

/** The new passphrase and where it came from, so a refusal names the option or variable to fix. */
async function readNewPassphrase(options: ChangePassphraseOptions, context: CommandContext): Promise<{ passphrase: string; source: string }> {
  if (options.newPasswordFile !== undefined) {
    let passphrase: string;
    try {
      passphrase = (await readFile(options.newPasswordFile, "utf8")).replace(/\r?\n$/, "");
    } catch (error) {
      throw new InvalidInputError("--new-password-file", `cannot read ${options.newPasswordFile} (${(error as { code?: string }).code ?? String(error)})`);
    }
    if (passphrase === "") throw new InvalidInputError("--new-password-file", `${options.newPasswordFile} is empty: the new passphrase must not be empty`);
    return { passphrase, source: "--new-password-file" };
  }
  const fromEnv = context.env[NEW_PASSWORD_ENV];
  if (fromEnv === undefined) {
    const asked = await askPassphrase(context, "enter the new passphrase", { confirm: true });
    if (asked !== undefined) return { passphrase: asked, source: "passphrase" };
    throw new InvalidInputError("--new-password-file", `the new passphrase is needed: give --new-password-file or set ${NEW_PASSWORD_ENV}`);
  }
  if (fromEnv === "") throw new InvalidInputError(NEW_PASSWORD_ENV, "is empty: the new passphrase must not be empty");
  return { passphrase: fromEnv, source: NEW_PASSWORD_ENV };
}
