/**
 * The list of top-level subcommands. Each lives in its own module under commands/ and exports a
 * `register*Command(program, context)` function; adding a command means adding one line here.
 */
import type { Command } from "commander";
import type { CommandContext } from "./command-context.js";
import { registerBackupCommand } from "./commands/backup.js";
import { registerHostsCommand } from "./commands/hosts.js";
import { registerInventoryCommand } from "./commands/inventory.js";
import { registerRepoCommand } from "./commands/repo/repo.js";
import { registerRestoreCommand } from "./commands/restore.js";
import { registerServicesCommand } from "./commands/services.js";
import { registerSimulatorCommand } from "./commands/simulator.js";

export function registerCommands(program: Command, context: CommandContext): void {
  registerBackupCommand(program, context);
  registerHostsCommand(program, context);
  registerInventoryCommand(program, context);
  registerRepoCommand(program, context);
  registerRestoreCommand(program, context);
  registerServicesCommand(program, context);
  registerSimulatorCommand(program, context);
}
