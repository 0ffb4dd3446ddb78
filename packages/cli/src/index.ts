/**
 * @esxbackup/cli — the `esxbackup` command: repository maintenance without any server (`repo …`), the ESXi
 * simulator (`simulator`), local services (`services`), and later the director's API from the shell.
 */
export { buildProgram, main, run, VERSION } from "./main.js";
export type { CommandContext } from "./command-context.js";
export { ExitCode } from "./exit-codes.js";
