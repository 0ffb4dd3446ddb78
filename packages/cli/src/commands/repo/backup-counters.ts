/**
 * What a backup did with each byte of the disk, one set of counters whose parts add up to the disk size:
 * every byte was either taken over unchanged from the previous point without being read, or read and then
 * found new, already stored (deduplicated) or zero. Names follow the progress report of the transport
 * protocol (proto/esxbackup/transport/v1: bytes_read, bytes_written, bytes_skipped_zero,
 * bytes_deduplicated, disk_size_bytes, throughput_bytes_per_second); `bytesWritten` is what the new bytes
 * took in the repository after compression (and encryption), the one figure not in plaintext bytes.
 */
import type { WriteStats } from "@esxbackup/repository";
import { formatBytes } from "./open-repository.js";
import { formatRate } from "./transfer-meter.js";

export interface BackupCounters {
  diskSizeBytes: number;
  /** Not read: unchanged since the previous point. */
  bytesTakenOver: number;
  /** bytesNew + bytesDeduplicated + bytesSkippedZero. */
  bytesRead: number;
  bytesNew: number;
  bytesDeduplicated: number;
  bytesSkippedZero: number;
  /** Repository bytes the new chunks took (compressed, encrypted). */
  bytesWritten: number;
  chunksRead: number;
  chunksStored: number;
  chunksDeduplicated: number;
  throughputBytesPerSecond: number;
}

export function backupCounters(input: { stats: WriteStats; diskSizeBytes: number; bytesRead: number; chunksRead: number; seconds: number }): BackupCounters {
  const { stats, diskSizeBytes, bytesRead } = input;
  // What was read and neither deduplicated nor zero was stored new (the writer counts only those two).
  const bytesNew = bytesRead - stats.bytesDeduplicated - stats.bytesSkippedZero;
  return {
    diskSizeBytes,
    bytesTakenOver: stats.bytesTakenOver,
    bytesRead,
    bytesNew,
    bytesDeduplicated: stats.bytesDeduplicated,
    bytesSkippedZero: stats.bytesSkippedZero,
    bytesWritten: stats.bytesStored,
    chunksRead: input.chunksRead,
    chunksStored: stats.chunksStored,
    chunksDeduplicated: stats.chunksDeduplicated,
    throughputBytesPerSecond: input.seconds > 0 ? bytesRead / input.seconds : 0,
  };
}

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
