/**
 * What a backup did with each byte of the disk, one set of counters whose parts add up to the disk size:
 * every byte was either taken over unchanged from the previous point without being read, or read and then
 * found new, already stored (deduplicated) or zero. Names follow the progress report of the transport
 * protocol (proto/esxbackup/transport/v1: bytes_read, bytes_written, bytes_skipped_zero,
 * bytes_deduplicated, disk_size_bytes, throughput_bytes_per_second); `bytesWritten` is what the new bytes
 * took in the repository after compression (and encryption), the one figure not in plaintext bytes.
 */
import type { WriteStats } from "@esxbackup/repository";

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
