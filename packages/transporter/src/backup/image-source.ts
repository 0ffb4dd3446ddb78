/**
 * Opens what `repo backup-image` backs up and says how large it is. A regular file is backed up by its
 * length, a block device by the size the kernel gives it (its `stat` says 0). Anything else is bad input
 * with a message naming it: a folder, a character device (/dev/zero never ends, /dev/null is empty), a
 * pipe; and an empty source, which would make a point of nothing that looks like a successful backup.
 */
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { InvalidInputError } from "@esxbackup/domain";
import { blockDeviceSizeBytes } from "@esxbackup/repository";

export async function openImageSource(path: string): Promise<{ handle: FileHandle; sizeBytes: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new InvalidInputError("image", `cannot open ${path} (${(error as { code?: string }).code ?? String(error)})`);
  }
  try {
    const stats = await handle.stat();
    let sizeBytes: number;
    if (stats.isFile()) sizeBytes = stats.size;
    else if (stats.isBlockDevice()) sizeBytes = await blockDeviceSizeBytes(stats, path);
    else if (stats.isDirectory()) throw new InvalidInputError("image", `${path} is a folder, not a disk image`);
    else if (stats.isCharacterDevice()) throw new InvalidInputError("image", `${path} is a character device, not a disk image (a disk is a regular file or a block device)`);
    else throw new InvalidInputError("image", `${path} is not a regular file or a block device`);
    if (sizeBytes === 0) throw new InvalidInputError("image", `${path} is empty: there is nothing to back up`);
    return { handle, sizeBytes };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
