/**
 * ESXi's lock on local accounts for remote logins (SSH and the API; the console is exempt), as pam_tally2
 * keeps it on 6.x/7.x: every refused password counts, the count reaching `Security.AccountLockFailures`
 * locks the account for `Security.AccountUnlockTime` seconds after the last failure, and a locked account
 * is asked for its password as usual and refuses the right one too (`Access Denied` even with the correct
 * password; auth.log `pam_tally2(sshd:auth): user root (0) tally 72, deny 5` on a 6.5 host:
 * ivobeerens.nl, 2018-01-02). A successful login resets the count. Defaults of 6.5 and later: 5 failures,
 * 900 s (6.0: 10 and 120, v-front.de 2015-04). 0 failures turns the lock off.
 */
export interface AccountLockPolicy {
  lockFailures: number;
  unlockTimeSeconds: number;
}

export class AccountLockout {
  readonly #policy: AccountLockPolicy;
  readonly #nowMs: () => number;
  readonly #tally = new Map<string, { failures: number; lastFailureMs: number }>();

  constructor(policy: AccountLockPolicy, nowMs: () => number) {
    this.#policy = policy;
    this.#nowMs = nowMs;
  }

  isLocked(user: string): boolean {
    const tally = this.#tally.get(user);
    if (tally === undefined || this.#policy.lockFailures === 0 || tally.failures < this.#policy.lockFailures) return false;
    if (this.#nowMs() - tally.lastFailureMs < this.#policy.unlockTimeSeconds * 1000) return true;
    this.#tally.delete(user);
    return false;
  }

  recordFailure(user: string): void {
    const failures = (this.#tally.get(user)?.failures ?? 0) + 1;
    this.#tally.set(user, { failures, lastFailureMs: this.#nowMs() });
  }

  recordSuccess(user: string): void {
    this.#tally.delete(user);
  }
}
