/** The one-line summary a backup prints of what it did with each byte of its disks (`BackupCounters`). */
import type { BackupCounters } from "@esxbackup/transporter/backup";
import { formatBytes } from "./open-repository.js";
import { formatRate } from "./transfer-meter.js";

/**
 * E.g. `disk 200.0 MiB: 64.0 MiB read (10.0 MiB new, stored in 4.1 MiB; 40.0 MiB deduplicated; 14.0 MiB
 * zero), 136.0 MiB unchanged, in 2.1 s (30.5 MiB/s)`. When chunks were rebuilt from their changed blocks,
 * what was read is followed by the chunks it was laid into (`384.0 KiB read into 6.0 MiB of patched
 * chunks (…)`), and chunks the source found zero are named when there were any.
 */
export function formatBackupSummary(counters: BackupCounters, seconds: number): string {
  const c = counters;
  const read = c.bytesRebuiltUnread > 0 ? `${formatBytes(c.bytesRead)} read into ${formatBytes(c.bytesRead + c.bytesRebuiltUnread)} of patched chunks` : `${formatBytes(c.bytesRead)} read`;
  return (
    `disk ${formatBytes(c.diskSizeBytes)}: ${read} (${formatBytes(c.bytesNew)} new, stored in ${formatBytes(c.bytesWritten)}; ` +
    `${formatBytes(c.bytesDeduplicated)} deduplicated; ${formatBytes(c.bytesSkippedZero)} zero), ${formatBytes(c.bytesTakenOver)} unchanged, ` +
    `${c.bytesZeroAtSource > 0 ? `${formatBytes(c.bytesZeroAtSource)} zero at the source, ` : ""}` +
    `in ${seconds.toFixed(1)} s (${formatRate(c.throughputBytesPerSecond)})`
  );
}
