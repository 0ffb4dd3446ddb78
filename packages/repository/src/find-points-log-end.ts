/**
 * Finds the last record of the points log (docs/repository-format.md §8a, ADR 0034) by asking whether single
 * records exist, instead of listing `log/`: a listing costs one name per record ever written (146,000 after
 * four years of 100 daily VMs, seconds on a NAS), and the appender needs only the highest sequence.
 *
 * Our writers never remove a record, so the records present are 1..n. The search starts at a hint (a record
 * seen before, 0 for none), gallops up (hint + 1, + 2, + 4, …) to an absent record, then narrows the interval
 * between the highest present and the lowest absent record until they are neighbours. It asks in rounds of
 * up to `PROBES_PER_ROUND` questions at once — one round trip each on a network store, whatever the number of
 * questions: one round when the hint is the end, nine for 146,000 records without a hint.
 *
 * It answers `undefined` — list instead — when what it saw cannot be a log our writers left: the hint absent
 * (a record seen before is gone: the storage was rolled back, or records removed), or a record present above
 * an absent one. The record two after the answer is always among those asked, so the answer n has n + 1 and
 * n + 2 absent: the appender never writes the last missing record before a present one. A gap the search
 * did not see may get records written into its start, but is never closed, so verify keeps reporting it.
 */
export const PROBES_PER_ROUND = 8;
/** Sequences have 16 digits (§8a): a gallop past them means a store that answers "present" to anything. */
const MAX_SEQUENCE = 10 ** 16 - 1;

export async function findPointsLogEnd(isPresent: (sequence: number) => Promise<boolean>, hint = 0): Promise<number | undefined> {
  const known = new Map<number, boolean>([[0, true]]); // 0 stands for the start of the log.
  let present = 0; // The highest sequence known present.
  let absent = Number.POSITIVE_INFINITY; // The lowest sequence known absent.
  /** Asks about the sequences not known yet, all at once; false when the answers cannot be a log of ours. */
  const ask = async (sequences: readonly number[]): Promise<boolean> => {
    const asked = [...new Set(sequences)].filter((sequence) => !known.has(sequence));
    const answers = await Promise.all(asked.map(isPresent));
    for (const [position, sequence] of asked.entries()) {
      if (answers[position] === true) present = Math.max(present, sequence);
      else absent = Math.min(absent, sequence);
      known.set(sequence, answers[position] === true);
    }
    return present < absent;
  };

  // The hint with the two records after it: when the hint is the end, the only round.
  if (hint > 0 && (!(await ask([hint, hint + 1, hint + 2])) || known.get(hint) !== true)) return undefined;
  for (let exponent = hint > 0 ? 2 : 0; absent === Number.POSITIVE_INFINITY; exponent += PROBES_PER_ROUND) {
    const gallop = Array.from({ length: PROBES_PER_ROUND }, (_, index) => hint + 2 ** (exponent + index));
    if (hint + 2 ** exponent > MAX_SEQUENCE || !(await ask(gallop))) return undefined;
  }
  while (absent - present - 1 > PROBES_PER_ROUND) {
    const width = absent - present;
    const between = Array.from({ length: PROBES_PER_ROUND }, (_, index) => present + Math.floor((width * (index + 1)) / (PROBES_PER_ROUND + 1)));
    if (!(await ask(between))) return undefined;
  }
  // Every record left between them, and the one after the lowest absent: the answer's n + 2 is then known.
  const rest = Array.from({ length: absent - present - 1 }, (_, index) => present + 1 + index);
  if (!(await ask([...rest, absent + 1]))) return undefined;
  return present;
}
