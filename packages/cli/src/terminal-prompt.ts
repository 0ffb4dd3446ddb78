/**
 * Asks for a secret on the terminal, as restic does when no passphrase file or variable is given: the
 * prompt goes to stderr, what is typed is not echoed, Enter ends it, Backspace erases, Ctrl-C interrupts
 * the command and Ctrl-D on an empty line gives up. Only used when stdin and stderr are terminals.
 */
import type { Writable } from "node:stream";
import { InvalidInputError } from "@esxbackup/domain";

export type PromptSecret = (prompt: string) => Promise<string>;

interface TerminalInput extends NodeJS.ReadableStream {
  setRawMode(raw: boolean): unknown;
}

export function terminalPrompt(input: TerminalInput, output: Writable, onInterrupt: () => void): PromptSecret {
  return (prompt) =>
    new Promise<string>((resolve, reject) => {
      // Echo off before the prompt shows: whatever is typed once it is visible must not appear.
      input.setRawMode(true);
      output.write(prompt);
      let typed = "";
      const finish = (settle: () => void): void => {
        input.removeListener("data", onData);
        input.setRawMode(false);
        input.pause();
        output.write("\n");
        settle();
      };
      const onData = (data: Buffer | string): void => {
        for (const char of data.toString()) {
          if (char === "\r" || char === "\n") return finish(() => resolve(typed));
          if (char === "\u0003") {
            onInterrupt();
            return finish(() => reject(new InvalidInputError("passphrase", "interrupted")));
          }
          if (char === "\u0004" && typed === "") return finish(() => reject(new InvalidInputError("passphrase", "none given (input ended)")));
          if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("");
          else if (char >= " ") typed += char;
        }
      };
      input.on("data", onData);
      input.resume();
    });
}
