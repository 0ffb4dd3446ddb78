/**
 * The port a backup reads a disk through. A local raw image (`LocalImageDiskSource`, what `repo backup-image`
 * reads) and a disk of a VM on an ESXi host read over SSH are two implementations; the backup pipeline
 * (`backUpDisk`) knows only this.
 *
 * Reads go over numbered channels, each with at most one read in flight: locally a channel is a slot of
 * memory the reads land in, remotely an SSH channel. The pipeline asks for whole runs of chunks, or — when
 * the source's fingerprints say which blocks changed — for the changed blocks alone (docs/adr/0023), so a
 * remote source reads exactly those byte ranges, N at a time. Fingerprints of the whole disk are computed
 * where the disk is (the host hashes its own disk), so only the changed ranges cross the wire.
 */
import type { ChangeFingerprints, DiskFingerprints } from "@esxbackup/domain";

export interface DiskSource {
  /** Names the disk in messages: a path, or a host and datastore path. */
  readonly label: string;
  /** The name recorded in the point for this disk (e.g. the flat file's base name). */
  readonly name: string;
  readonly sizeBytes: number;

  /**
   * Prepares `channels` concurrent reads of at most `maxReadBytes` each; the caller closes the result
   * before closing the source. With `fingerprints` (only where `fingerprintsWhileReading` says so), the
   * channels also fingerprint what they read (`DiskChannels.readFingerprinted`).
   */
  openChannels(channels: number, maxReadBytes: number, options?: { fingerprints?: ChangeFingerprints }): Promise<DiskChannels>;

  /**
   * Whether the source can fingerprint at `kind` what its channels read, where the disk is, sending only
   * the blocks that are not all zero: a disk's first backup then reads each block once, instead of
   * fingerprinting the whole disk and reading its non-zero blocks again (docs/adr/0038). Absent: it cannot.
   */
  fingerprintsWhileReading?(kind: ChangeFingerprints): boolean;

  /**
   * Per-block fingerprints of the whole disk computed by the source, and which blocks it found all zero
   * (`zeroBlocks[i]` is 1; a source that cannot tell leaves every entry 0 and the blocks are read).
   * A source that hashes in parts hands each to `onPart` as soon as it is done, in any order, so the
   * backup can read the changed blocks of one part while the others are hashed; every block is in exactly
   * one part. A source may also report no parts: then the whole result is all there is.
   */
  fingerprint(kind: ChangeFingerprints, options: FingerprintOptions): Promise<SourceFingerprints>;

  close(): Promise<void>;
}

export interface FingerprintOptions {
  signal: AbortSignal;
  onProgress: (bytesDone: number) => void;
  onPart?: (part: SourceFingerprintPart) => void;
  /**
   * Hash at most this many parts at once (default: as many as the source reads with). A first backup asks
   * for one: its reads are what take long, and the hashing only has to stay ahead of them (docs/adr/0028).
   */
  lanes?: number;
}

/** The fingerprints of blocks `offsetBytes / blockSizeBytes` onwards (whole blocks; the disk's last may be short). */
export interface SourceFingerprintPart {
  offsetBytes: number;
  lengthBytes: number;
  digests: Uint8Array;
  zeroBlocks: Uint8Array;
}

export interface SourceFingerprints {
  fingerprints: DiskFingerprints;
  zeroBlocks: Uint8Array;
}

export interface DiskChannels {
  /**
   * Reads exactly `lengthBytes` at `offsetBytes` over `channel` and returns a view of them, valid until the
   * same channel reads again. Any range may be asked for whose offset and length are multiples of 4096,
   * except that the last may end at the disk's end (a single changed block, or a run of chunks), and never
   * more than `maxReadBytes`. A source that ends early (it changed while being read) is an error naming it,
   * never a short result.
   */
  read(channel: number, offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
  /**
   * On channels opened with `fingerprints`: reads like `read` (the offset a multiple of the block size),
   * the all-zero blocks zeroed here rather than sent, and returns the range's fingerprints.
   */
  readFingerprinted?(channel: number, offsetBytes: number, lengthBytes: number): Promise<{ data: Uint8Array } & RangeFingerprints>;
  close(): Promise<void>;
}

/** The fingerprints of a range a source read, block by block (the disk's last block may be short). */
export interface RangeFingerprints {
  /** One digest per block; an all-zero block has the digest of its zero bytes, as the host's hash pass records it. */
  digests: Buffer;
  /** 1 where the source found the block all zero (and did not send it). */
  zeroBlocks: Uint8Array;
  /** The bytes that crossed the wire: those of the blocks not all zero. */
  bytesSent: number;
}
