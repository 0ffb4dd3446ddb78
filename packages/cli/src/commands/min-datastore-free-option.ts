/**
 * `backup --min-datastore-free SHARE%|SIZE`: the free space a running VM's datastores must keep for its run
 * snapshot to grow into (docs/adr/0039). `0` turns the check off.
 */
import { InvalidInputError } from "@esxbackup/domain";
import type { DatastoreFreeMinimum } from "@esxbackup/transporter";
import { parseByteSize } from "./repo/open-repository.js";

const EXPECTED = "a share of the datastore like 5% or 12.5%, a size like 20G or 512M (K, M, G: KiB, MiB, GiB), or 0 to check nothing";

/** `5%` → `{ percent: 5 }`, `20G` → `{ bytes: 20 GiB }`, `0` → `{ bytes: 0 }`; errors name the option. */
export function parseMinDatastoreFree(text: string): DatastoreFreeMinimum {
  const trimmed = text.trim();
  const share = /^(\d+(?:\.\d+)?)\s*%$/u.exec(trimmed);
  if (share !== null) {
    const percent = Number(share[1]);
    // 100 % would refuse every running VM: a typing slip, not a policy.
    if (!(percent < 100)) throw new InvalidInputError("--min-datastore-free", `${JSON.stringify(text)} is not a share below 100 %`);
    return { percent };
  }
  if (/^0+$/u.test(trimmed)) return { bytes: 0 };
  try {
    return { bytes: parseByteSize(trimmed, "--min-datastore-free") };
  } catch {
    throw new InvalidInputError("--min-datastore-free", `expected ${EXPECTED} (got ${JSON.stringify(text)})`);
  }
}
