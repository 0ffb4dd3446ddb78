/**
 * The host lacks every tool a step could use (no usable Python, and a busybox without the applet or the
 * option the fallback needs), found from the capability probe before the step changes anything on the host.
 * Nothing on our side can supply them, so retrying cannot help: an `InvalidInputError` naming the host.
 */
import { InvalidInputError } from "@esxbackup/domain";

export class HostLacksToolsError extends InvalidInputError {
  constructor(problem: string) {
    super("host", problem);
  }
}
