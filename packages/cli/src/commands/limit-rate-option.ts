/**
 * `--limit-rate SIZE[/s]` of the commands that move disk data over the wire (`backup`, `restore --to-host`):
 * the bytes per second a run may send or fetch, summed over all its channels (docs/adr/0032). The same
 * syntax and least rate serve `backup --limit-host-read`, the bytes per second the host may read from its
 * datastore for the run (docs/adr/0035).
 */
import { InvalidInputError } from "@esxbackup/domain";
import { parseByteSize } from "./repo/open-repository.js";

/**
 * The least rate taken. Below it a backup keeps its VM's snapshot open for days: 1 GiB of changes takes
 * over four hours, and a read of 4 MiB waits a minute for its turn (docs/adr/0032); a restore is as slow.
 */
export const MIN_LIMIT_RATE_BYTES_PER_SECOND = 64 * 1024;

export const LIMIT_RATE_VALUE = "bytes per second like 50M, 800K or 50M/s (K, M, G: KiB, MiB, GiB)";

/** `50M`, `800K`, `50M/s` → bytes per second; errors name `option`. */
export function parseLimitRate(text: string, option: "--limit-rate" | "--limit-host-read" = "--limit-rate"): number {
  const size = text.trim().replace(/\/s$/iu, "");
  let bytesPerSecond: number;
  try {
    bytesPerSecond = parseByteSize(size, option);
  } catch {
    throw new InvalidInputError(option, `expected ${LIMIT_RATE_VALUE} (got ${JSON.stringify(text)})`);
  }
  if (bytesPerSecond < MIN_LIMIT_RATE_BYTES_PER_SECOND) {
    throw new InvalidInputError(option, `${JSON.stringify(text)} is below the least rate, ${MIN_LIMIT_RATE_BYTES_PER_SECOND / 1024} KiB/s: slower, a run would take days (a unit mistyped?)`);
  }
  return bytesPerSecond;
}
