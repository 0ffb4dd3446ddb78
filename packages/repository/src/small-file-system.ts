/**
 * Test support: a real, small file system (tmpfs) mounted on a fresh folder for the length of `use`, to run
 * the repository out of space for real. Needs root (mount); the project's tests run as root. Not part of
 * the package's API.
 */
import { execFile } from "node:child_process";
import { mkdtemp, open, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function withSmallFileSystem<T>(sizeBytes: number, use: (root: string) => Promise<T>): Promise<T> {
  const mountPoint = await mkdtemp(join(tmpdir(), "esxbackup-small-fs-"));
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes},mode=0700`, "tmpfs", mountPoint]);
    try {
      return await use(mountPoint);
    } finally {
      await run("umount", [mountPoint]);
    }
  } finally {
    await rmdir(mountPoint);
  }
}

/** Fills the file system under `root` to the last byte with a file named `name`; returns its size. */
export async function fillUp(root: string, name: string): Promise<number> {
  const handle = await open(join(root, name), "w");
  const block = Buffer.alloc(64 * 1024, 0xa5);
  let written = 0;
  try {
    for (let size = block.byteLength; size >= 1; ) {
      try {
        const { bytesWritten } = await handle.write(block, 0, size);
        written += bytesWritten;
      } catch (error) {
        if ((error as { code?: string }).code !== "ENOSPC") throw error;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}
