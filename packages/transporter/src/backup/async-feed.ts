/**
 * Items pushed by one side and taken by a `for await` on the other, in order: how fingerprint parts reported
 * through a callback become stretches a backup reads while the source is still hashing. `end` lets the
 * reader finish after the last item; `fail` makes it throw once the items before are taken.
 */
export class AsyncFeed<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #error: { reason: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(...items: T[]): void {
    if (this.#ended || this.#error !== undefined) throw new Error("the feed has ended");
    this.#items.push(...items);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(reason: unknown): void {
    this.#error ??= { reason };
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#error !== undefined) throw this.#error.reason;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
