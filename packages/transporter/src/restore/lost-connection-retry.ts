/**
 * What a restore does when the connection drops under a step that changes the host (docs/adr/0027). The
 * step's answer is lost, not necessarily the step: so the host is asked, over a new connection, whether it
 * took effect (`afterLoss`), and the step is run again only when it did not, up to `attempts` tries. Steps
 * that are idempotent need no such check and are simply run again (`retryOnConnectionLost`).
 */
import { EsxiSshError, SshCommandTimeoutError, SshConnectionLostError } from "../esxi/ssh/esxi-ssh-errors.js";

/** Tries per step or written run when the connection keeps failing, as the disk reader does. */
export const DEFAULT_RESTORE_ATTEMPTS = 3;

/** The retryable SSH failure `error` is (a lost connection, a stalled channel), if it is one. */
export function retryableSshError(error: unknown): EsxiSshError | undefined {
  return error instanceof EsxiSshError && error.retryable ? error : undefined;
}

/** Why something is tried again, in a few words (a lost channel's own message quotes its whole command). */
export function retryReason(error: EsxiSshError): string {
  if (error instanceof SshConnectionLostError) return "connection lost";
  if (error instanceof SshCommandTimeoutError) return `no progress for ${error.timeoutMs} ms`;
  return error.message;
}

export interface CheckedStep<T> {
  /** Names the step in reports: `vim-cmd solo/registervm of …`. */
  what: string;
  run: () => Promise<T>;
  /** After a lost answer: `{ done }` when the step took effect, undefined to run it again; throws when it cannot tell. */
  afterLoss: () => Promise<{ done: T } | undefined>;
  attempts?: number;
  onRetry?: ((reason: string) => void) | undefined;
}

export async function runCheckedStep<T>(step: CheckedStep<T>): Promise<T> {
  const attempts = step.attempts ?? DEFAULT_RESTORE_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step.run();
    } catch (error) {
      const lost = retryableSshError(error);
      if (lost === undefined || attempt >= attempts) throw error;
      step.onRetry?.(`${step.what}: ${retryReason(lost)}, checking whether it happened (try ${attempt + 1} of ${attempts})`);
      const outcome = await step.afterLoss();
      if (outcome !== undefined) return outcome.done;
    }
  }
}

/** The retry settings of a request (`attempts`, `onRetry`), as `runCheckedStep` takes them. */
export function retryOptionsOf(request: { attempts?: number | undefined; onRetry?: ((reason: string) => void) | undefined }): { attempts?: number; onRetry?: (reason: string) => void } {
  return { ...(request.attempts === undefined ? {} : { attempts: request.attempts }), ...(request.onRetry === undefined ? {} : { onRetry: request.onRetry }) };
}
