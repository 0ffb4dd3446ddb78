import { EsxbackupError } from "@esxbackup/domain";

/** The host's sandbox could not be set up (no mount namespace, no user namespaces, missing busybox…). */
export class SandboxError extends EsxbackupError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("sandbox_failed", message, options);
  }
}
