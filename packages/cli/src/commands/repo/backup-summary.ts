/** The one-line summary `repo backup-image` prints of what a backup did with each byte of the disk. */
import type { BackupCounters } from "@esxbackup/transporter/backup";
import { formatBytes } from "./open-repository.js";
import { formatRate } from "./transfer-meter.js";

/**
 * E.g. `disk 200.0 MiB: 64.0 MiB read (10.0 MiB new, stored in 4.1 MiB; 40.0 MiB deduplicated; 14.0 MiB
 * zero), 136.0 MiB unchanged, in 2.1 s (30.5 MiB/s)`.
 */
export function formatBackupSummary(counters: BackupCounters, seconds: number): string {
  const c = counters;
  return (
    `disk ${formatBytes(c.diskSizeBytes)}: ${formatBytes(c.bytesRead)} read (${formatBytes(c.bytesNew)} new, stored in ${formatBytes(c.bytesWritten)}; ` +
    `${formatBytes(c.bytesDeduplicated)} deduplicated; ${formatBytes(c.bytesSkippedZero)} zero), ${formatBytes(c.bytesTakenOver)} unchanged, ` +
    `in ${seconds.toFixed(1)} s (${formatRate(c.throughputBytesPerSecond)})`
  );
}
