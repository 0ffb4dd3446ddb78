/**
 * The command texts that read a byte range of a disk on the host, one per mechanism (docs/adr/0024): the
 * long-lived Python reader (disk-read-python-script.ts) started once per channel, or busybox `dd` started
 * once per read. Built with `shellCommand`, so the path (any datastore or VM name) reaches the program as
 * one argument whatever it holds.
 */
import type { HostDiskKind } from "../hashing/host-disk-hashing.js";
import { shellCommand } from "../ssh/shell-command.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { DISK_READ_PYTHON_SCRIPT } from "./disk-read-python-script.js";

/**
 * `<python> -c SCRIPT PATH`: reads `OFFSET LENGTH` lines on stdin, answers each with the bytes; with
 * `fingerprints`, `… PATH ALGORITHM BLOCK`: answers each with the blocks' records and the non-zero blocks
 * (docs/adr/0038).
 */
export function pythonDiskReaderCommand(path: string, python: string, fingerprints?: HostDiskKind): ShellCommand {
  const mode = fingerprints === undefined ? [] : [fingerprints.algorithm, String(fingerprints.blockSizeBytes)];
  return shellCommand([python, "-c", DISK_READ_PYTHON_SCRIPT, path, ...mode]);
}

/** The request line the Python reader answers with exactly `lengthBytes` bytes. */
export function diskReadRequestLine(offsetBytes: number, lengthBytes: number): string {
  return `${offsetBytes} ${lengthBytes}\n`;
}

/** Largest dd block busybox is asked for: bigger blocks save nothing and cost host memory. */
const MAX_DD_BLOCK_BYTES = 1024 * 1024;

/**
 * `dd if=PATH bs=B skip=S count=C`, with B the largest power of two up to 1 MiB that divides the offset
 * (a multiple of 4096) and the length rounded up to 4096, so busybox's `dd` (no `skip_bytes` on old hosts)
 * reads the range in whole blocks. A range that ends at the disk's end may end inside the last block; `dd`
 * stops at the end of the file there, and the caller counts the bytes.
 */
export function ddDiskReadCommand(path: string, offsetBytes: number, lengthBytes: number): ShellCommand {
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % 4096 !== 0) throw new RangeError(`offset must be a multiple of 4096 (got ${offsetBytes})`);
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0) throw new RangeError(`length must be positive (got ${lengthBytes})`);
  const rounded = Math.ceil(lengthBytes / 4096) * 4096;
  let block = MAX_DD_BLOCK_BYTES;
  while (block > 4096 && (offsetBytes % block !== 0 || rounded % block !== 0)) block /= 2;
  const count = Math.ceil(lengthBytes / block);
  return shellCommand(["dd", `if=${path}`, `bs=${block}`, `skip=${offsetBytes / block}`, `count=${count}`]);
}
