/**
 * At most N channels open at once on a connection. OpenSSH's MaxSessions (10, which ESXi does not change)
 * refuses the eleventh; waiting for a free slot is better than a refused channel in the middle of a backup.
 * First come, first served.
 */
export class ChannelSlots {
  readonly limit: number;
  #inUse = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`channel limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get inUse(): number {
    return this.#inUse;
  }

  /** Resolves with a release function once a slot is free; call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.#inUse >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#inUse--;
    };
  }
}
