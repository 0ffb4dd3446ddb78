/**
 * A command for the host's shell, built only from trusted program text and quoted arguments. Sessions take
 * a `ShellCommand`, never a string, so nothing reaches the host's shell without passing through here.
 *
 *   sh`vim-cmd vmsvc/get.summary ${vmid}`            // interpolations are quoted
 *   sh`cat ${path} | ${hashCommand}`                 // a ShellCommand interpolates as is (already safe)
 *   sh`ls -- ${[a, b, c]}`                           // an array becomes several quoted words
 *   shellCommand(["mkdir", "-p", folder])            // argv form: every word quoted
 */
import { quoteShellArg } from "./quote-shell-arg.js";

export type ShellArgument = string | number | bigint | ShellCommand | readonly (string | number | bigint)[];

/** Held only by this module, so no other code can construct a ShellCommand from raw text. */
const BUILDER: unique symbol = Symbol("ShellCommand builder");

export class ShellCommand {
  /** The text given to `sh -c` on the host. */
  readonly text: string;

  constructor(text: string, builder: typeof BUILDER) {
    if (builder !== BUILDER) throw new TypeError("a ShellCommand is built with sh`…` or shellCommand()");
    this.text = text;
  }

  toString(): string {
    return this.text;
  }
}

function render(value: ShellArgument): string {
  if (value instanceof ShellCommand) return value.text;
  if (Array.isArray(value)) return value.map((v) => quoteShellArg(String(v))).join(" ");
  return quoteShellArg(String(value as string | number | bigint));
}

/** Tagged template: the literal parts are program text written in our source, every interpolation is quoted. */
export function sh(strings: TemplateStringsArray, ...values: ShellArgument[]): ShellCommand {
  let text = strings[0] ?? "";
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? "");
  });
  return new ShellCommand(text, BUILDER);
}

/** A simple command from its argv: every word quoted. */
export function shellCommand(argv: readonly (string | number | bigint)[]): ShellCommand {
  return new ShellCommand(argv.map((word) => quoteShellArg(String(word))).join(" "), BUILDER);
}
