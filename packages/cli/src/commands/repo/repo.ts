/**
 * `esxbackup repo …` — the repository without any server: create, back up local images, list, show,
 * restore, verify, prune, gc, stats, change the passphrase. One file per verb; this one only groups them.
 */
import type { Command } from "commander";
import type { CommandContext } from "../../command-context.js";
import { registerRepoBackupImage } from "./backup-image.js";
import { registerRepoChangePassphrase } from "./change-passphrase.js";
import { registerRepoGc } from "./gc.js";
import { registerRepoInit } from "./init.js";
import { registerRepoList } from "./list.js";
import { registerRepoPrune } from "./prune.js";
import { registerRepoRestoreImage } from "./restore-image.js";
import { registerRepoShow } from "./show.js";
import { registerRepoStats } from "./stats.js";
import { registerRepoVerify } from "./verify.js";

export function registerRepoCommand(program: Command, context: CommandContext): void {
  const repo = program.command("repo").description("work with a backup repository directly (no server needed)");
  for (const register of [
    registerRepoInit,
    registerRepoBackupImage,
    registerRepoList,
    registerRepoShow,
    registerRepoRestoreImage,
    registerRepoVerify,
    registerRepoPrune,
    registerRepoGc,
    registerRepoStats,
    registerRepoChangePassphrase,
  ]) {
    register(repo, context);
  }
  for (const command of repo.commands) command.exitOverride();
}
