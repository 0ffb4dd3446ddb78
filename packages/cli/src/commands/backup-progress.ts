/**
 * The progress of `esxbackup backup` on a terminal: each task (a disk's fingerprinting or reading) drawn
 * with the transfer meter while it runs; nothing when stderr is not a terminal (scripts, --json consumers).
 */
import type { ProgressReporter } from "@esxbackup/transporter";
import type { CommandContext } from "../command-context.js";
import { startTransfer } from "./repo/transfer-meter.js";

export function cliProgressReporter(context: CommandContext): ProgressReporter {
  return {
    start(task) {
      const label = [task.phase, task.vm === undefined ? undefined : JSON.stringify(task.vm), task.disk].filter((part) => part !== undefined).join(" ");
      const { progress } = startTransfer(context, label, task.bytesTotal ?? 0);
      return { update: (bytesDone) => progress.update(bytesDone), stop: () => progress.stop() };
    },
  };
}
