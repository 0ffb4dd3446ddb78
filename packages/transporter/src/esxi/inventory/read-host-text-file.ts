/**
 * Reads a small text file of the host (a `.vmx`, a VMDK descriptor) over SSH. The path comes from host
 * files a user can edit (a `.vmx` may name any file as a disk), so at most `maxBytes` are read: a data
 * extent named by mistake is refused as too large, never pulled whole into memory.
 *
 * The host runs `cat`, and the limit is kept here: the command's output is read until it passes the limit,
 * then the channel is closed, which stops it. `head -c` would keep it on the host, but it is an optional
 * part of busybox's `head`, and which applets and options ESXi's busybox has is not known (esxi-facts 4);
 * `cat` is in every busybox.
 */
import { EsxbackupError } from "@esxbackup/domain";
import { SshConnectionLostError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh, type ShellCommand } from "../ssh/shell-command.js";

/** Descriptors are about 1 KiB and a `.vmx` a few KiB; 1 MiB leaves room for any real one. */
export const MAX_HOST_TEXT_FILE_BYTES = 1024 * 1024;
/** A read is a read: after a dropped connection it is tried again, on a new one, this many times in all. */
const READ_ATTEMPTS = 3;

/** How many of a too-large file's first bytes its error keeps: enough for the magic number of any binary format. */
const KEPT_FIRST_BYTES = 512;

export class HostFileTooLargeError extends EsxbackupError {
  readonly path: string;
  /** The file's first bytes (at most 512), so that a reader can tell what the file is (a disk's magic number). */
  readonly firstBytes: Buffer;
  constructor(path: string, about: string, maxBytes: number, firstBytes: Buffer = Buffer.alloc(0)) {
    super("host_file_too_large", `${path} (${about}) is larger than ${maxBytes} bytes: not a text file the host writes for a VM`);
    this.path = path;
    this.firstBytes = Buffer.from(firstBytes.subarray(0, KEPT_FIRST_BYTES));
  }
}

export async function readHostTextFile(...args: Parameters<typeof readHostFileBytes>): Promise<string> {
  return (await readHostFileBytes(...args)).toString("utf8");
}

export interface HostFileReadOptions {
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * A file that may not exist (a `.vmsd`: absent until the VM's first snapshot) reads as empty when it does
   * not, in the same one command; any other failure to read it is still an error.
   */
  absentAsEmpty?: boolean;
}

/** The same read as bytes (a `.nvram` is binary), kept exactly as the host has them. */
export async function readHostFileBytes(session: Pick<EsxiSshSession, "execStream">, path: string, about: string, options: HostFileReadOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? MAX_HOST_TEXT_FILE_BYTES;
  const command = options.absentAsEmpty === true ? sh`test ! -e ${path} || cat -- ${path}` : sh`cat -- ${path}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const bytes = await readAtMost(session, command, maxBytes, options.signal);
      if (bytes.length > maxBytes) throw new HostFileTooLargeError(path, about, maxBytes, bytes);
      return bytes;
    } catch (error) {
      if (!(error instanceof SshConnectionLostError) || attempt >= READ_ATTEMPTS || options.signal?.aborted === true) throw error;
    }
  }
}

/** The file's bytes, or its first `maxBytes + 1` when it is longer (the command then stopped). */
async function readAtMost(session: Pick<EsxiSshSession, "execStream">, command: ShellCommand, maxBytes: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const run = await session.execStream(command, signal === undefined ? {} : { signal });
  // Stopping the command early makes its result a cancellation; the bytes already say what happened.
  run.result.catch(() => undefined);
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of run.stdout as AsyncIterable<Buffer>) {
    parts.push(chunk);
    length += chunk.length;
    // Leaving the loop destroys the stream, which closes the channel.
    if (length > maxBytes) return Buffer.concat(parts).subarray(0, maxBytes + 1);
  }
  await run.result;
  return Buffer.concat(parts);
}

/** Whether a regular file exists at `path` on the host (for files a VM may or may not have: `.nvram`, `.vmsd`). */
export async function hostFileExists(session: Pick<EsxiSshSession, "exec">, path: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  const result = await session.exec(sh`test -f ${path}`, { check: false, retryOnConnectionLost: true, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  return result.exitCode === 0;
}

/** Where the inventory reads a VM's small files from: the host each time, or `HostFileMemo`. */
export interface HostFileSource {
  bytes(path: string, about: string, options?: Pick<HostFileReadOptions, "signal" | "absentAsEmpty">): Promise<Buffer>;
}

export const hostFilesOf = (session: Pick<EsxiSshSession, "execStream">): HostFileSource => ({
  bytes: (path, about, options) => readHostFileBytes(session, path, about, options),
});

/**
 * Each file read from the host at most once: a backup reads a VM's `.vmx` and descriptors for its
 * inventory and keeps the same bytes with the point, all before its snapshot, so a second read would only
 * cost a round trip. A failed read is forgotten (the next asks the host again). A file read `absentAsEmpty`
 * is kept as the empty answer it got: a caller that must tell absent from empty asks `hostFileExists` first.
 */
export class HostFileMemo implements HostFileSource {
  readonly #source: HostFileSource;
  readonly #reads = new Map<string, Promise<Buffer>>();
  constructor(session: Pick<EsxiSshSession, "execStream">) {
    this.#source = hostFilesOf(session);
  }
  bytes(path: string, about: string, options?: Pick<HostFileReadOptions, "signal" | "absentAsEmpty">): Promise<Buffer> {
    let read = this.#reads.get(path);
    if (read === undefined) {
      read = this.#source.bytes(path, about, options);
      this.#reads.set(path, read);
      read.catch(() => this.#reads.delete(path));
    }
    return read;
  }
}
