/**
 * Logins a host refused, so that none is tried again with the same credentials: ESXi counts every refused
 * password toward the account's lock (`Security.AccountLockFailures`, 5 by default), and a run that opens
 * a connection per VM, or reconnects after a drop, would reach it by itself. A session keeps its own
 * (its reconnections); a command that opens several sessions to one host gives them one to share, so that
 * a password that stops working part-way is refused once, not once per VM left. Logins to the same host
 * and user go one at a time, so that two sessions starting together cannot both be refused.
 */
import { SshAuthError } from "./esxi-ssh-errors.js";
import type { EsxiSshTarget } from "./esxi-ssh-target.js";
import { targetLabel } from "./esxi-ssh-target.js";

type LoginTarget = Pick<EsxiSshTarget, "host" | "port" | "user">;

export class RefusedLogins {
  readonly #refused = new Map<string, SshAuthError>();
  /** Per host and user: the login under way, settled (never rejected) when it ends. */
  readonly #underWay = new Map<string, Promise<void>>();

  /**
   * Runs `login` after the one under way to the same host and user, unless the host refused one already:
   * then its refusal is thrown and nothing is sent. A refusal `login` throws is remembered.
   */
  async tryLogin<T>(target: LoginTarget, login: () => Promise<T>): Promise<T> {
    const key = loginKey(target);
    const attempt = (this.#underWay.get(key) ?? Promise.resolve()).then(async () => {
      const refusal = this.#refused.get(key);
      if (refusal !== undefined) throw refusal;
      try {
        return await login();
      } catch (error) {
        if (error instanceof SshAuthError) this.#refused.set(key, error);
        throw error;
      }
    });
    const settled = attempt.then(
      () => undefined,
      () => undefined,
    );
    this.#underWay.set(key, settled);
    try {
      return await attempt;
    } finally {
      if (this.#underWay.get(key) === settled) this.#underWay.delete(key);
    }
  }
}

function loginKey(target: LoginTarget): string {
  return `${target.user}@${targetLabel(target)}`;
}
