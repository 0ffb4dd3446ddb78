/**
 * A deterministic source of whole numbers for the parsers' round-trip tests: the same seed gives the same
 * inputs on every run, so a failure names an input that can be reproduced. `next(n)` is in [0, n).
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}
