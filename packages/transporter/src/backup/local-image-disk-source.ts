/**
 * The `DiskSource` of a local raw image or block device (what `repo backup-image` backs up): reads land in
 * the slots of an `ImageReader` (O_DIRECT where allowed, docs/adr/0006), and fingerprints are computed by
 * reading the whole image and hashing it off the main thread, as a host hashes its own disk. A local image
 * cannot say which blocks are zero without reading them, so none is marked: the writer finds zero chunks.
 * The image must not change during the backup (a snapshot's base disk, a copy).
 */
import { basename } from "node:path";
import type { FileHandle } from "node:fs/promises";
import { InvalidInputError, fingerprintBlockCount } from "@esxbackup/domain";
import type { ChangeFingerprints } from "@esxbackup/domain";
import type { DiskChannels, DiskSource, SourceFingerprints } from "./disk-source.js";
import { hashDiskInRuns } from "./hash-disk-in-runs.js";
import { ImageReader } from "./image-reader.js";
import { openImageSource } from "./image-source.js";

export class LocalImageDiskSource implements DiskSource {
  readonly label: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly #handle: FileHandle;

  private constructor(path: string, handle: FileHandle, sizeBytes: number) {
    this.label = path;
    this.name = basename(path);
    this.#handle = handle;
    this.sizeBytes = sizeBytes;
  }

  /** Refuses, as bad input naming the path, what is not a non-empty regular file or block device. */
  static async open(path: string): Promise<LocalImageDiskSource> {
    const { handle, sizeBytes } = await openImageSource(path);
    return new LocalImageDiskSource(path, handle, sizeBytes);
  }

  async openChannels(channels: number, maxReadBytes: number): Promise<DiskChannels> {
    return ImageReader.open(this.label, channels, maxReadBytes);
  }

  /**
   * Reads of about RUN_BYTES, READS_IN_FLIGHT at a time, through the page cache into the pass's run
   * buffers, which go to the hashing thread and back. Throws an InvalidInputError when the image is shorter
   * than it was (it changed while being read).
   */
  async fingerprint(kind: ChangeFingerprints, options: { signal: AbortSignal; onProgress: (bytesDone: number) => void }): Promise<SourceFingerprints> {
    const fingerprints = await hashDiskInRuns({
      sizeBytes: this.sizeBytes,
      kind,
      readInto: async (offset, target) => {
        const { bytesRead } = await this.#handle.read(target, 0, target.byteLength, offset);
        if (bytesRead !== target.byteLength) throw new InvalidInputError("image", `${this.label} changed size while being read (short read at offset ${offset})`);
      },
      ...options,
    });
    return { fingerprints, zeroBlocks: new Uint8Array(fingerprintBlockCount(this.sizeBytes, kind.blockSizeBytes)) };
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}
