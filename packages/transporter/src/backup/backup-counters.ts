/**
 * What a backup did with each byte of the disk, one set of counters whose parts add up to the disk size:
 * every byte was either taken over unchanged from the previous point without being read, or known all zero
 * by the source and not read (a host marks zero blocks when it hashes its disk), or read, or — in a chunk
 * rebuilt from its changed blocks — taken from the previous point's chunk or a zero block without being
 * read. The chunks handed to the repository were found new, already stored (deduplicated) or zero. Names
 * follow the progress report of the transport protocol (proto/esxbackup/transport/v1: bytes_read,
 * bytes_written, bytes_skipped_zero, bytes_deduplicated, disk_size_bytes, throughput_bytes_per_second);
 * `bytesWritten` is what the new bytes took in the repository after compression (and encryption), the one
 * figure not in plaintext bytes.
 */
import type { WriteStats } from "@esxbackup/repository";

export interface BackupCounters {
  diskSizeBytes: number;
  /** Not read: unchanged since the previous point. */
  bytesTakenOver: number;
  /** Not read: the source found these chunks all zero. */
  bytesZeroAtSource: number;
  /** Asked of the source. */
  bytesRead: number;
  /** Not read: the rest of the chunks rebuilt from their changed blocks (the previous chunk's bytes, zero blocks). */
  bytesRebuiltUnread: number;
  /** Of the chunks handed to the repository (read, or rebuilt): stored new. */
  bytesNew: number;
  /** Of the chunks handed to the repository: already stored. */
  bytesDeduplicated: number;
  /** Of the chunks handed to the repository: all zero. */
  bytesSkippedZero: number;
  /** Repository bytes the new chunks took (compressed, encrypted). */
  bytesWritten: number;
  /** Chunks read whole or rebuilt. */
  chunksRead: number;
  chunksStored: number;
  chunksDeduplicated: number;
  throughputBytesPerSecond: number;
}

export function backupCounters(input: {
  stats: WriteStats;
  diskSizeBytes: number;
  bytesRead: number;
  /** Bytes of the chunks handed to the repository built from reads (the zero chunks aside). */
  bytesBuilt: number;
  chunksBuilt: number;
  bytesZeroAtSource: number;
  seconds: number;
}): BackupCounters {
  const { stats, diskSizeBytes, bytesRead, bytesBuilt, bytesZeroAtSource } = input;
  // The writer counts every zero chunk it was given, read or not.
  const bytesSkippedZero = stats.bytesSkippedZero - bytesZeroAtSource;
  // What was built and neither deduplicated nor zero was stored new (the writer counts only those two).
  const bytesNew = bytesBuilt - stats.bytesDeduplicated - bytesSkippedZero;
  return {
    diskSizeBytes,
    bytesTakenOver: stats.bytesTakenOver,
    bytesZeroAtSource,
    bytesRead,
    bytesRebuiltUnread: bytesBuilt - bytesRead,
    bytesNew,
    bytesDeduplicated: stats.bytesDeduplicated,
    bytesSkippedZero,
    bytesWritten: stats.bytesStored,
    chunksRead: input.chunksBuilt,
    chunksStored: stats.chunksStored,
    chunksDeduplicated: stats.chunksDeduplicated,
    throughputBytesPerSecond: input.seconds > 0 ? bytesRead / input.seconds : 0,
  };
}

/** The counters of several disks (a point's) as one: every byte count summed, the throughput over `seconds`. */
export function sumBackupCounters(disks: readonly BackupCounters[], seconds: number): BackupCounters {
  const sum = (field: Exclude<keyof BackupCounters, "throughputBytesPerSecond">): number => disks.reduce((total, disk) => total + disk[field], 0);
  const bytesRead = sum("bytesRead");
  return {
    diskSizeBytes: sum("diskSizeBytes"),
    bytesTakenOver: sum("bytesTakenOver"),
    bytesZeroAtSource: sum("bytesZeroAtSource"),
    bytesRead,
    bytesRebuiltUnread: sum("bytesRebuiltUnread"),
    bytesNew: sum("bytesNew"),
    bytesDeduplicated: sum("bytesDeduplicated"),
    bytesSkippedZero: sum("bytesSkippedZero"),
    bytesWritten: sum("bytesWritten"),
    chunksRead: sum("chunksRead"),
    chunksStored: sum("chunksStored"),
    chunksDeduplicated: sum("chunksDeduplicated"),
    throughputBytesPerSecond: seconds > 0 ? bytesRead / seconds : 0,
  };
}
