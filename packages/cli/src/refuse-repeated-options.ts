/**
 * An option that takes one value, given twice, is bad input: commander would keep the last one silently, so
 * `--repo /mnt/a … --repo /mnt/b` (a pasted command line, a script that appends its own defaults) would
 * write to a repository the user may not have meant. Options meant to be repeated (`--vm`, `--tag`, …) start
 * from an empty list and are left alone, and so are flags, which cannot contradict themselves.
 */
import type { Command, Option } from "commander";
import { InvalidInputError } from "@esxbackup/domain";

/** Whether giving `option` twice can only mean two different answers to one question. */
export function takesOneValue(option: Pick<Option, "required" | "optional" | "variadic" | "defaultValue">): boolean {
  return (option.required || option.optional) && !option.variadic && !Array.isArray(option.defaultValue);
}

/** Makes every one-value option of `command` and its subcommands refuse a second occurrence. */
export function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (!takesOneValue(option)) continue;
    let first: string | undefined;
    command.on(`option:${option.name()}`, (value: string | null | undefined) => {
      const given = value ?? "";
      if (first === undefined) {
        first = given;
        return;
      }
      const values = first === given ? `twice (${JSON.stringify(given)})` : `twice (${JSON.stringify(first)} and ${JSON.stringify(given)})`;
      throw new InvalidInputError(option.long ?? option.flags, `given ${values}: give it once`);
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}
